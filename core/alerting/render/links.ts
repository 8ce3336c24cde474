import { z } from 'zod';

/**
 * Links a message carries and the values of Slack's buttons. The integrator makes the links (signed, expiring
 * ack links to a page whose button POSTs, since mail scanners follow GET links); renderers only place them.
 */

/** Links for one notification; any may be absent (a channel then leaves the control out). */
export interface AlertLinks {
  /** Page that acknowledges the incident (GET shows a confirm button that POSTs). */
  readonly ack?: string;
  /** Page that silences the incident's group for an hour. */
  readonly silence1h?: string;
  /** Page that records "not an anomaly" feedback. */
  readonly notAnAnomaly?: string;
  /** Where to look at the series. */
  readonly dashboard?: string;
}

/** The actions a Slack button or an action page can ask for. */
export const ALERT_ACTIONS = ['ack', 'silence-1h', 'not-anomaly'] as const;

/** One action. */
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** Slack `action_id` of each button; the ack handler dispatches on it. */
export const SLACK_ACTION_IDS: Readonly<Record<AlertAction | 'dashboard', string>> = {
  ack: 'seismo.ack',
  'silence-1h': 'seismo.silence_1h',
  'not-anomaly': 'seismo.not_anomaly',
  dashboard: 'seismo.dashboard',
};

const actionValueSchema = z.object({
  v: z.literal(1),
  a: z.enum(ALERT_ACTIONS),
  i: z.string().regex(/^inc-[0-9a-f]{24}$/),
  r: z.number().int().min(0),
  k: z.string().min(1).max(256).optional(),
});

/** What a button asks for: the action, the incident, and the revision the person was looking at. */
export interface ActionValue {
  readonly action: AlertAction;
  readonly incidentId: string;
  readonly revision: number;
  /**
   * The incident's state key (`incidentStateKey(routeId, groupKey)`), so the ack handler reads the one item
   * that holds it without an index. Slack signs every interaction, so a value cannot be forged.
   */
  readonly stateKey?: string;
}

/** Thrown for a button value that is not one of ours (or was tampered with). */
export class InvalidActionValueError extends Error {
  override readonly name = 'InvalidActionValueError';
}

/** The button `value` (compact JSON, far below Slack's 2,000 characters). */
export function encodeActionValue(value: ActionValue): string {
  return JSON.stringify({
    v: 1,
    a: value.action,
    i: value.incidentId,
    r: value.revision,
    ...(value.stateKey !== undefined && { k: value.stateKey }),
  });
}

/** Parses a button `value` back; throws {@link InvalidActionValueError} for anything else. */
export function parseActionValue(text: string): ActionValue {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidActionValueError('button value is not JSON');
  }
  const parsed = actionValueSchema.safeParse(json);
  if (!parsed.success)
    throw new InvalidActionValueError(
      `button value is not a Seismo action: ${parsed.error.issues[0]?.message}`,
    );
  const { a, i, r, k } = parsed.data;
  return { action: a, incidentId: i, revision: r, ...(k !== undefined && { stateKey: k }) };
}

/** Fills a URL template (`{series}`, `{channel}`, `{incidentId}`, `{episodeId}`), URL-encoding each value. */
export function fillLinkTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(series|channel|incidentId|episodeId)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? ''),
  );
}
