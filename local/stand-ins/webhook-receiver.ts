/**
 * A webhook receiver on 127.0.0.1 that verifies each delivery's Standard Webhooks signature with the official
 * `standardwebhooks` library (as a customer's receiver would), records it, and answers as scripted.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { delay, listenLocal, Recording, Script, sendJson } from './http-server.ts';

/** One delivery as received. */
export interface WebhookDelivery {
  readonly path: string;
  readonly webhookId: string | undefined;
  readonly webhookTimestamp: string | undefined;
  readonly webhookSignature: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  readonly body: string;
  /** The body parsed, when it verified. */
  readonly payload: unknown;
  readonly verified: boolean;
  /** Which of the receiver's secrets verified it (index into `secrets`). */
  readonly verifiedWith: number | undefined;
  /** Why verification failed (the library's message per secret). */
  readonly verifyError: string | undefined;
  /** The status answered. */
  readonly status: number;
  readonly at: number;
}

/** A scripted answer. */
export interface WebhookResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Wait this long before answering (to exercise the sender's timeout). */
  readonly delayMs?: number;
}

/** Construction options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /**
   * The secret(s) this receiver verifies with (`whsec_...`); a delivery verifies when any one matches, as a
   * receiver does while its sender rotates. Without any, deliveries are recorded unverified.
   */
  readonly secrets?: readonly string[];
  /** Answer 401 to a delivery that does not verify (true by default, as a careful receiver does). */
  readonly rejectUnverified?: boolean;
}

/** A running webhook receiver. */
export interface WebhookReceiver {
  /** Base URL; any path is accepted and recorded. */
  readonly url: string;
  readonly deliveries: readonly WebhookDelivery[];
  /** Answers the next verified deliveries with `responses`, in order; then 204 again. */
  respondWith(...responses: WebhookResponse[]): void;
  onDelivery(listener: (delivery: WebhookDelivery) => void): () => void;
  stop(): Promise<void>;
}

/** Starts a receiver on a free loopback port. */
export async function startWebhookReceiver(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const verifiers = (options.secrets ?? []).map((secret) => new Webhook(secret));
  const rejectUnverified = options.rejectUnverified ?? true;
  const recording = new Recording<WebhookDelivery>();
  const script = new Script<WebhookResponse>();

  const server = await listenLocal(async (req, raw, res) => {
    const body = raw.toString('utf8');
    const headers = req.headers;
    const check = verify(verifiers, body, headers);
    let answer: WebhookResponse;
    if (!check.verified && rejectUnverified && verifiers.length > 0) {
      answer = { status: 401, body: JSON.stringify({ error: check.error }) };
    } else {
      answer = script.take() ?? { status: 204 };
    }
    if (answer.delayMs) await delay(answer.delayMs);
    recording.add({
      path: req.url ?? '/',
      webhookId: header(headers['webhook-id']),
      webhookTimestamp: header(headers['webhook-timestamp']),
      webhookSignature: header(headers['webhook-signature']),
      headers,
      body,
      payload: check.payload,
      verified: check.verified,
      verifiedWith: check.index,
      verifyError: check.error,
      status: answer.status,
      at: Date.now(),
    });
    if (answer.body === undefined) {
      res.writeHead(answer.status, answer.headers ?? {});
      res.end();
    } else if (answer.body.startsWith('{')) {
      sendJson(res, answer.status, JSON.parse(answer.body), answer.headers);
    } else {
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body);
    }
  });

  return {
    url: `${server.origin}/`,
    get deliveries() {
      return recording.all;
    },
    respondWith: (...responses) => {
      for (const response of responses) script.push(response);
    },
    onDelivery: (listener) => recording.listen(listener),
    stop: () => server.close(),
  };
}

interface Verification {
  readonly verified: boolean;
  readonly payload: unknown;
  readonly index: number | undefined;
  readonly error: string | undefined;
}

function verify(verifiers: readonly Webhook[], body: string, headers: IncomingHttpHeaders): Verification {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') flat[name] = value;
  const errors: string[] = [];
  for (const [index, verifier] of verifiers.entries()) {
    try {
      verifier.verify(body, flat, { jsonParse: false });
      return { verified: true, payload: parseJson(body), index, error: undefined };
    } catch (error) {
      errors.push(`secret ${index}: ${(error as Error).message}`);
    }
  }
  const error = errors.length > 0 ? errors.join('; ') : undefined;
  return { verified: false, payload: undefined, index: undefined, error };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
