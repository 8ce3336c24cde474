import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ALERT_ACTIONS, type AlertAction } from './render/links.ts';

/**
 * Signed, expiring action links for channels without buttons (email, webhooks, PagerDuty): a token names the
 * action, the incident (with its state key, so the handler reads one item) and the receiver it was sent to,
 * and is signed with HMAC-SHA256 under a key kept in Secrets Manager. Opening the link (GET) only shows a
 * confirm page; the page's button POSTs the same token back, since mail scanners follow GET links.
 */

/** What a token grants: one action on one incident, until `expiresAt`. */
export interface ActionClaim {
  readonly action: AlertAction;
  readonly stateKey: string;
  readonly incidentId: string;
  /** The receiver the link was sent to: who acted, as far as Seismo can tell. */
  readonly receiver: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** How long an emailed link works by default: a week (an incident older than that is rarely acted on). */
export const ACTION_LINK_TTL_MS = 7 * 86_400_000;

const claimSchema = z.object({
  a: z.enum(ALERT_ACTIONS),
  k: z.string().min(1).max(256),
  i: z.string().regex(/^inc-[0-9a-f]{24}$/),
  r: z.string().min(1).max(128),
  e: z.number().int().positive(),
});

/** Why a token was refused. */
export type TokenProblem = 'malformed' | 'signature' | 'expired';

/** Thrown for a token that is not ours, was altered, or has expired; `problem` says which. */
export class InvalidActionTokenError extends Error {
  override readonly name = 'InvalidActionTokenError';
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(message);
  }
}

const PREFIX = 'v1';

function mac(key: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${PREFIX}.${payload}`).digest();
}

/** The token for `claim`: `v1.<base64url JSON>.<base64url HMAC>`, safe in a URL path. */
export function signActionToken(claim: ActionClaim, key: string): string {
  if (key.length < 16) throw new RangeError('an action link key must be at least 16 characters');
  const payload = Buffer.from(
    JSON.stringify({
      a: claim.action,
      k: claim.stateKey,
      i: claim.incidentId,
      r: claim.receiver,
      e: claim.expiresAt,
    }),
  ).toString('base64url');
  return `${PREFIX}.${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * Verifies a token against the current key and, during a rotation, the previous one (any key in `keys`),
 * comparing signatures in constant time; then checks the expiry against `now`.
 */
export function verifyActionToken(token: string, keys: readonly string[], now: number): ActionClaim {
  const parts = token.split('.');
  const [prefix, payload, signature] = parts;
  if (parts.length !== 3 || prefix !== PREFIX || !payload || !signature) {
    throw new InvalidActionTokenError('malformed', 'this link is not a Seismo action link');
  }
  const given = Buffer.from(signature, 'base64url');
  const valid = keys.some((key) => {
    const expected = mac(key, payload);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) throw new InvalidActionTokenError('signature', 'this link was altered or its key was rotated');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidActionTokenError('malformed', 'this link is not a Seismo action link');
  }
  const parsed = claimSchema.safeParse(json);
  if (!parsed.success)
    throw new InvalidActionTokenError('malformed', 'this link is not a Seismo action link');
  const { a, k, i, r, e } = parsed.data;
  if (now >= e) {
    throw new InvalidActionTokenError('expired', `this link expired at ${new Date(e).toISOString()}`);
  }
  return { action: a, stateKey: k, incidentId: i, receiver: r, expiresAt: e };
}
