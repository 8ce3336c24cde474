import { describe, expect, it } from 'vitest';
import {
  CLIENT_ERROR_RESPONSE_TEMPLATE,
  PUT_RECORDS_RESPONSE_TEMPLATE,
  putRecordsRequestTemplate,
  SERVER_ERROR_RESPONSE_TEMPLATE,
} from '../../infra/constructs/events-mapping-templates.ts';
import { renderTemplate } from '../../local/api-gateway-vtl.ts';

// The mapping templates of POST /v1/events, rendered as API Gateway renders them (velocityjs with API Gateway's
// $input, $util and $context), against the answers Kinesis gives.
const ok = { SequenceNumber: '1', ShardId: 'shardId-0' };
const throttled = {
  ErrorCode: 'ProvisionedThroughputExceededException',
  ErrorMessage: 'Rate exceeded for shard',
};
const internal = { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure, it\'s "odd"' };

function respond(records: object[], params: Record<string, string> = {}) {
  const failed = records.filter((r) => 'ErrorCode' in r).length;
  const rendered = renderTemplate(PUT_RECORDS_RESPONSE_TEMPLATE, {
    body: { FailedRecordCount: failed, Records: records },
    params,
  });
  return { status: rendered.status ?? 200, headers: rendered.headers, body: JSON.parse(rendered.output) };
}

describe('PutRecords request template', () => {
  it('makes one record per event: its JSON as sent, base64, and the series as partition key', () => {
    // Prepare
    const events = [
      { series: 'it\'s "quoted"', timestamp: 1_700_000_000_000, value: 1e-7 },
      { series: 'plain', timestamp: '2024-01-01T00:00:00Z', values: { a: 1 }, dimensions: { d: 'é' } },
    ];

    // Act
    const rendered = renderTemplate(putRecordsRequestTemplate('seismo-events'), {
      body: { events },
      params: {},
    });
    const request = JSON.parse(rendered.output);

    // Assess
    expect(request.StreamName).toBe('seismo-events');
    expect(request.Records.map((r: { PartitionKey: string }) => r.PartitionKey)).toEqual([
      'it\'s "quoted"',
      'plain',
    ]);
    expect(
      request.Records.map((r: { Data: string }) => JSON.parse(Buffer.from(r.Data, 'base64').toString())),
    ).toEqual(events);
  });

  it('sends no record when a dry run is asked (dryRun present and not "false")', () => {
    // Act
    const asked = JSON.parse(
      renderTemplate(putRecordsRequestTemplate('s'), { body: { events: [{}] }, params: { dryRun: 'true' } })
        .output,
    );
    const notAsked = JSON.parse(
      renderTemplate(putRecordsRequestTemplate('s'), { body: { events: [{}] }, params: { dryRun: 'false' } })
        .output,
    );

    // Assess
    expect(asked.Records).toEqual([]);
    expect(notAsked.Records).toHaveLength(1);
  });
});

describe('PutRecords response templates', () => {
  it('answers 200 when every record was accepted', () => {
    // Act
    const answer = respond([ok, ok]);

    // Assess
    expect(answer).toEqual({
      status: 200,
      headers: {},
      body: {
        accepted: 2,
        failed: 0,
        results: [
          { index: 0, status: 'accepted' },
          { index: 1, status: 'accepted' },
        ],
      },
    });
  });

  it('answers 207 with the failed indices and their reasons when some failed: retry only those', () => {
    // Act
    const answer = respond([ok, internal, ok, throttled]);

    // Assess
    expect(answer.status).toBe(207);
    expect(answer.body).toEqual({
      accepted: 2,
      failed: 2,
      results: [
        { index: 0, status: 'accepted' },
        { index: 1, status: 'failed', reason: 'InternalFailure: Internal service failure, it\'s "odd"' },
        { index: 2, status: 'accepted' },
        {
          index: 3,
          status: 'failed',
          reason: 'ProvisionedThroughputExceededException: Rate exceeded for shard',
        },
      ],
    });
  });

  it('answers 429 when every record was throttled and 503 when every record failed otherwise, both with Retry-After', () => {
    // Act
    const allThrottled = respond([throttled, throttled]);
    const allFailed = respond([throttled, internal]);

    // Assess
    expect(allThrottled.status).toBe(429);
    expect(allThrottled.headers).toEqual({ 'retry-after': '1' });
    expect(allFailed.status).toBe(503);
    expect(allFailed.body.failed).toBe(2);
  });

  it('answers a dry run with 400 and where to send it, whether Kinesis refused the empty request or not', () => {
    // Act
    const accepted = respond([], { dryRun: 'true' });
    const refused = renderTemplate(CLIENT_ERROR_RESPONSE_TEMPLATE, {
      body: { __type: 'ValidationException', message: 'Records must have at least 1 item' },
      params: { dryRun: 'true' },
    });

    // Assess
    expect(accepted.status).toBe(400);
    expect(accepted.body.message).toMatch(/^dryRun is answered by POST \/v1\/events\/dry-run/);
    expect(JSON.parse(refused.output)).toEqual(accepted.body);
  });

  it("relays Kinesis' reason for a refused request, and asks for a retry when Kinesis failed", () => {
    // Act
    const refused = renderTemplate(CLIENT_ERROR_RESPONSE_TEMPLATE, {
      body: { __type: 'ValidationException', message: "1 validation error: 'Records' too large" },
      params: {},
    });

    // Assess
    expect(JSON.parse(refused.output)).toEqual({
      message: "the stream refused the request: ValidationException: 1 validation error: 'Records' too large",
    });
    expect(JSON.parse(SERVER_ERROR_RESPONSE_TEMPLATE).message).toMatch(/retry the request/);
  });
});
