import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack request signing (https://api.slack.com/authentication/verifying-requests-from-slack): every
 * interactive request carries `X-Slack-Request-Timestamp` and `X-Slack-Signature` =
 * `v0=` + hex HMAC-SHA256(signing secret, `v0:` + timestamp + `:` + the raw body). The signature covers the
 * body byte for byte, so it must be checked on the raw body before anything parses (and re-encodes) it.
 */

/** Slack's replay window: requests older (or newer) than five minutes are refused. */
export const SLACK_MAX_SKEW_MS = 5 * 60_000;

/** Why a request was refused. */
export type SlackSignatureProblem = 'missing' | 'stale' | 'mismatch';

/** Thrown when a request does not carry a valid, fresh Slack signature. */
export class SlackSignatureError extends Error {
  override readonly name = 'SlackSignatureError';
  constructor(
    readonly problem: SlackSignatureProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The signature Slack sends for `rawBody` at `timestamp` (seconds): for the local page and for tests. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/** What a verification needs: the raw body as received, the two headers, the secret(s) and the clock. */
export interface SlackRequest {
  readonly rawBody: string | Buffer;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/**
 * Verifies a Slack request: both headers present, the timestamp within {@link SLACK_MAX_SKEW_MS} of `now`
 * (either way), and the signature equal, in constant time, to the one computed with one of
 * `signingSecrets` (two during a rotation). Throws {@link SlackSignatureError} otherwise.
 */
export function verifySlackSignature(
  request: SlackRequest,
  signingSecrets: readonly string[],
  now: number,
): void {
  const { timestamp, signature } = request;
  if (!timestamp || !signature) {
    throw new SlackSignatureError('missing', 'X-Slack-Request-Timestamp and X-Slack-Signature are required');
  }
  if (!/^\d{1,12}$/.test(timestamp))
    throw new SlackSignatureError('missing', 'the timestamp is not a number');
  const skew = Math.abs(now - Number(timestamp) * 1_000);
  if (skew > SLACK_MAX_SKEW_MS) {
    throw new SlackSignatureError(
      'stale',
      `the request is ${Math.round(skew / 1_000)} s off this clock (at most 300 s)`,
    );
  }
  const given = Buffer.from(signature, 'utf8');
  const ok = signingSecrets.some((secret) => {
    const expected = Buffer.from(slackSignature(secret, timestamp, request.rawBody), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw new SlackSignatureError('mismatch', 'the signature does not match the body');
}
