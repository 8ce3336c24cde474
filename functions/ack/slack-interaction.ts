import { z } from 'zod';
import {
  type ActionValue,
  InvalidActionValueError,
  parseActionValue,
  SLACK_ACTION_IDS,
} from '../../core/alerting/render/links.ts';

/**
 * Reads a Slack interactivity request (a `block_actions` payload, form-encoded as `payload=<JSON>`) into the
 * one action it asks for. Only called after the signature was verified on the raw body.
 */

/** A button press from a Seismo message. */
export interface SlackPress {
  readonly value: ActionValue;
  /** Who pressed: the Slack user name (or ID). */
  readonly user: string;
  /** Where Slack takes a reply (ephemeral to the presser), if it gave one. */
  readonly responseUrl?: string;
}

/** Thrown for a request that is not a press of one of Seismo's buttons. */
export class UnsupportedInteractionError extends Error {
  override readonly name = 'UnsupportedInteractionError';
}

const payloadSchema = z.object({
  type: z.string(),
  user: z.object({ id: z.string(), username: z.string().optional(), name: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).min(1),
  response_url: z.string().optional(),
});

const ACTION_BY_ID = new Map(Object.entries(SLACK_ACTION_IDS).map(([action, id]) => [id, action]));

/** Parses the raw (verified) body; throws {@link UnsupportedInteractionError} for anything but our buttons. */
export function parseSlackPress(rawBody: string): SlackPress {
  const payload = new URLSearchParams(rawBody).get('payload');
  if (payload === null) throw new UnsupportedInteractionError('no payload field in the request');
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    throw new UnsupportedInteractionError('the payload is not JSON');
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success || parsed.data.type !== 'block_actions') {
    throw new UnsupportedInteractionError('only block_actions (button presses) are handled');
  }
  const press = parsed.data.actions[0];
  const action = press && ACTION_BY_ID.get(press.action_id);
  if (!press || !action || action === 'dashboard' || press.value === undefined) {
    throw new UnsupportedInteractionError(`not a Seismo button: ${press?.action_id ?? '(none)'}`);
  }
  let value: ActionValue;
  try {
    value = parseActionValue(press.value);
  } catch (error) {
    if (error instanceof InvalidActionValueError) throw new UnsupportedInteractionError(error.message);
    throw error;
  }
  if (value.action !== action) throw new UnsupportedInteractionError('the button and its value disagree');
  const { user } = parsed.data;
  return {
    value,
    user: user.username ?? user.name ?? user.id,
    ...(parsed.data.response_url !== undefined && { responseUrl: parsed.data.response_url }),
  };
}

/**
 * Whether `url` is a Slack response URL Seismo may post to: https on hooks.slack.com only, so a payload can
 * never make the ack handler call anywhere else.
 */
export function isSlackResponseUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com';
  } catch {
    return false;
  }
}
