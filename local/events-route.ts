import { type KinesisClient, PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { eventsRequestJsonSchema } from '../core/ingest/event-json-schema.ts';
import type { IngestRequest, IngestResponse } from '../functions/translate/ingest-http.ts';
import { json, mediaType } from '../functions/translate/ingest-http.ts';
import {
  CLIENT_ERROR_RESPONSE_TEMPLATE,
  PUT_RECORDS_RESPONSE_TEMPLATE,
  putRecordsRequestTemplate,
  SERVER_ERROR_RESPONSE_TEMPLATE,
} from '../infra/constructs/events-mapping-templates.ts';
import { renderTemplate } from './api-gateway-vtl.ts';
import { compileDraft4, validationErrorString } from './draft4-validator.ts';

/**
 * `POST /v1/events` on the local server, as API Gateway runs it: the request validator with the generated
 * draft-4 model (400 naming the broken rule), the deployed request template, PutRecords on kinesis-mock, and the
 * deployed response templates choosing the status. No translator in the path, as in AWS.
 */

/** The largest body accepted: Kinesis' 5 MiB per PutRecords (API Gateway itself takes 10 MB, Kinesis refuses). */
export const MAX_EVENTS_BODY_BYTES = 5 * 1024 * 1024;

const validBody = compileDraft4(eventsRequestJsonSchema());

/** Where the route writes. */
export interface EventsRouteDeps {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
}

/** Answers one `POST /v1/events` (the caller is already authenticated). */
export async function putEvents(request: IngestRequest, deps: EventsRouteDeps): Promise<IngestResponse> {
  if (request.body.length > MAX_EVENTS_BODY_BYTES) {
    return json(413, {
      message: `body is ${request.body.length} bytes, over the ${MAX_EVENTS_BODY_BYTES} bytes one PutRecords call takes`,
    });
  }
  const type = mediaType(request);
  if (type !== 'application/json') {
    // The integration maps application/json only and passes nothing else through.
    return json(415, { message: `Unsupported Media Type: send application/json, not "${type || 'none'}"` });
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(request.body).toString('utf8'));
  } catch (error) {
    return json(400, { message: `Invalid request body: not JSON (${(error as Error).message})` });
  }
  if (!validBody(body))
    return json(400, { message: `Invalid request body: ${validationErrorString(validBody)}` });

  const params = Object.fromEntries(request.query);
  const rendered = renderTemplate(putRecordsRequestTemplate(deps.streamName), { body, params });
  const putRecords = JSON.parse(rendered.output) as {
    StreamName: string;
    Records: { Data: string; PartitionKey: string }[];
  };
  let kinesisStatus = 200;
  let kinesisBody: unknown;
  try {
    const output: Partial<PutRecordsCommandOutput> = await deps.kinesis.send(
      new PutRecordsCommand({
        StreamName: putRecords.StreamName,
        Records: putRecords.Records.map((r) => ({
          Data: Buffer.from(r.Data, 'base64'),
          PartitionKey: r.PartitionKey,
        })),
      }),
    );
    const { $metadata: _metadata, ...answer } = output;
    kinesisBody = answer;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    kinesisStatus = e.$metadata?.httpStatusCode ?? (putRecords.Records.length === 0 ? 400 : 500);
    kinesisBody = { __type: e.name, message: e.message };
  }
  const template =
    kinesisStatus === 200
      ? PUT_RECORDS_RESPONSE_TEMPLATE
      : kinesisStatus < 500
        ? CLIENT_ERROR_RESPONSE_TEMPLATE
        : SERVER_ERROR_RESPONSE_TEMPLATE;
  const status = kinesisStatus === 200 ? 200 : kinesisStatus < 500 ? 400 : 503;
  const answer = renderTemplate(template, { body: kinesisBody, params });
  return {
    status: answer.status ?? status,
    headers: {
      'content-type': 'application/json',
      ...(status === 503 ? { 'retry-after': '1' } : {}),
      ...answer.headers,
    },
    body: answer.output,
  };
}
