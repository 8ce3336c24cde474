/**
 * The local SES v2: the `aws-ses-v2-local` emulator (realistic SendEmail answers and a web viewer of the
 * mail at `viewerUrl`) behind a small proxy on 127.0.0.1 that records each accepted email with what the
 * emulator drops (configuration set, tags) and can answer the next sends with SES errors, in SES's wire
 * format, so the production SES transport and the real SDK deserializer run unchanged against it.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../emulators.ts';
import { listenLocal, Recording, Script, sendJson } from './http-server.ts';

/** An email SES accepted. */
export interface SesSentEmail {
  readonly messageId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly replyTo: readonly string[];
  readonly subject: string;
  readonly text: string | undefined;
  readonly html: string | undefined;
  readonly configurationSetName: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly at: number;
}

/** An SES error to answer with: its name (the SDK's exception class) and message. */
export interface SesFault {
  /** e.g. `MessageRejected`, `TooManyRequestsException`, `SendingPausedException`. */
  readonly name: string;
  readonly message?: string;
  /** HTTP status; SES's own for the name by default (429 for TooManyRequestsException, else 400). */
  readonly status?: number;
}

/** A running SES stand-in. */
export interface SesStandIn {
  /** The endpoint to give `SESv2Client`. */
  readonly endpoint: string;
  /** The emulator's mail viewer, for a person. */
  readonly viewerUrl: string;
  readonly emails: readonly SesSentEmail[];
  /** The next `count` sends fail with `fault`. */
  failNext(fault: SesFault, count?: number): void;
  onEmail(listener: (email: SesSentEmail) => void): () => void;
  stop(): Promise<void>;
}

type StartEmulator = (config?: { host?: string; port?: number }) => Promise<Server>;
const require = createRequire(import.meta.url);
const SEND_PATH = '/v2/email/outbound-emails';
const STATUS: Readonly<Record<string, number>> = {
  TooManyRequestsException: 429,
  NotFoundException: 404,
  InternalFailure: 500,
  ServiceUnavailable: 503,
};

/**
 * Starts the emulator and the proxy on free loopback ports. The emulator keeps its mail in a module-level
 * store shared by every instance in the process; this stand-in's `emails` are its own.
 */
export async function startSesStandIn(): Promise<SesStandIn> {
  const { default: startEmulator } = require('aws-ses-v2-local') as { default: StartEmulator };
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  const emulatorPort = (emulator.address() as AddressInfo).port;
  const recording = new Recording<SesSentEmail>();
  const faults = new Script<SesFault>();

  const proxy = await listenLocal(async (req, body, res) => {
    const sending = req.method === 'POST' && req.url === SEND_PATH;
    const fault = sending ? faults.take() : undefined;
    if (fault) {
      sendJson(
        res,
        fault.status ?? STATUS[fault.name] ?? 400,
        { message: fault.message ?? `${fault.name} (scripted by the SES stand-in)` },
        { 'x-amzn-errortype': fault.name, 'x-amzn-requestid': randomUUID() },
      );
      return;
    }
    const answer = await forward(emulatorPort, req.method ?? 'GET', req.url ?? '/', req.headers, body);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    if (sending && answer.status === 200) recording.add(toEmail(body, answer.body));
  });

  return {
    endpoint: proxy.origin,
    viewerUrl: `${proxy.origin}/`,
    get emails() {
      return recording.all;
    },
    failNext: (fault, count = 1) => faults.push(fault, count),
    onEmail: (listener) => recording.listen(listener),
    stop: async () => {
      await proxy.close();
      await new Promise<void>((resolve) => {
        emulator.close(() => resolve());
        emulator.closeAllConnections();
      });
    },
  };
}

/**
 * An SES v2 client for the stand-in at `endpoint`, with the local region and credentials and a single
 * attempt (so a scripted fault reaches the transport instead of being retried by the SDK).
 */
export function localSesClient(endpoint: string, maxAttempts = 1): SESv2Client {
  return new SESv2Client({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts });
}

interface Forwarded {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function forward(
  port: number,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { ...headers, host: `127.0.0.1:${port}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

type Json = Record<string, unknown>;

/** The SendEmail input (SES v2 JSON) and the emulator's answer, as one record. */
function toEmail(requestBody: Buffer, responseBody: Buffer): SesSentEmail {
  const input = JSON.parse(requestBody.toString('utf8')) as Json;
  const output = JSON.parse(responseBody.toString('utf8')) as Json;
  const destination = (input.Destination ?? {}) as Json;
  const simple = ((input.Content ?? {}) as Json).Simple as Json | undefined;
  const body = (simple?.Body ?? {}) as Json;
  const data = (field: unknown) => ((field ?? {}) as Json).Data as string | undefined;
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  const tags = (Array.isArray(input.EmailTags) ? input.EmailTags : []) as { Name: string; Value: string }[];
  const headers = (Array.isArray(simple?.Headers) ? simple.Headers : []) as { Name: string; Value: string }[];
  return {
    messageId: String(output.MessageId),
    from: String(input.FromEmailAddress ?? ''),
    to: list(destination.ToAddresses),
    cc: list(destination.CcAddresses),
    replyTo: list(input.ReplyToAddresses),
    subject: data(simple?.Subject) ?? '',
    text: data(body.Text),
    html: data(body.Html),
    configurationSetName: input.ConfigurationSetName as string | undefined,
    tags: Object.fromEntries(tags.map((t) => [t.Name, t.Value])),
    headers: headers.map((h) => ({ name: h.Name, value: h.Value })),
    at: Date.now(),
  };
}
