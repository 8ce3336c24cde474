import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Labels } from './alert-transition.ts';
import { matcherSchema, timeWindowSchema, timeZoneSchema } from './config-schema.ts';
import type { Effect, Incident, SilenceExpiringNotification, Timer } from './incident-types.ts';
import { type Matcher, matchesAll, parseMatcher } from './matchers.ts';
import { inRecurrence } from './time-intervals.ts';

/**
 * Silences: "do not tell anyone about what these matchers select, from then until then", with an author and a
 * comment, as in Alertmanager, plus what Alertmanager lacks: a recurrence (a weekly maintenance window in an
 * IANA zone, on the local wall clock across daylight-saving changes) and a reminder before a silence ends.
 */

const matcherObject = z.object({
  name: z.string().min(1),
  op: z.enum(['=', '!=', '=~', '!~']),
  value: z.string(),
});

/** zod schema of a stored silence; matchers may be written as text (`series="x"`) or as objects. */
export const silenceSchema = z.object({
  id: z.string().min(1).max(128),
  matchers: z
    .array(z.union([matcherSchema, matcherObject.transform((m, ctx) => checked(m, ctx))]))
    .min(1, { error: 'a silence needs at least one matcher' }),
  startsAt: z.number().finite(),
  endsAt: z.number().finite(),
  author: z.string().min(1).max(256),
  comment: z.string().max(2048).default(''),
  createdAt: z.number().finite(),
  /** When set, the silence holds only inside these windows (and still only between startsAt and endsAt). */
  recurrence: z.object({ timeZone: timeZoneSchema, times: z.array(timeWindowSchema).min(1) }).optional(),
  /** How long before `endsAt` to remind; the config's `silences.remindBefore` when absent. */
  remindBefore: z.number().min(0).optional(),
});

function checked(m: Matcher, ctx: z.RefinementCtx): Matcher {
  try {
    parseMatcher(`${m.name}${m.op}"${m.value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
  return m as Matcher;
}

/** A silence (times in epoch ms; `endsAt` exclusive). */
export type Silence = z.output<typeof silenceSchema>;

/** Whether a silence holds at `at`: inside [startsAt, endsAt) and, if recurring, inside one of its windows. */
export function silenceActive(silence: Silence, at: number): boolean {
  if (at < silence.startsAt || at >= silence.endsAt) return false;
  return silence.recurrence === undefined || inRecurrence(silence.recurrence, at);
}

/** The first silence that holds at `at` and selects `labels`, if any: to say why nobody was told. */
export function silencedBy(silences: readonly Silence[], labels: Labels, at: number): Silence | undefined {
  return silences.find((s) => silenceActive(s, at) && matchesAll(s.matchers, labels));
}

/** Whether any silence holds at `at` and selects `labels`. */
export function isSilenced(silences: readonly Silence[], labels: Labels, at: number): boolean {
  return silencedBy(silences, labels, at) !== undefined;
}

/** A new silence with a deterministic id (the same request twice gives the same silence). */
export function createSilence(
  fields: Omit<Silence, 'id' | 'createdAt' | 'comment'> & { readonly comment?: string },
  now: number,
): Silence {
  if (fields.endsAt <= fields.startsAt) throw new RangeError('a silence must end after it starts');
  const content = JSON.stringify([
    fields.matchers,
    fields.startsAt,
    fields.endsAt,
    fields.author,
    fields.recurrence ?? null,
  ]);
  const id = `sil-${createHash('sha256').update(content).digest('hex').slice(0, 24)}`;
  return { ...fields, comment: fields.comment ?? '', id, createdAt: now };
}

/** The reminder timer of a silence (`remindBefore` its end), or null when that moment has passed already. */
export function silenceReminderTimer(
  silence: Silence,
  defaultRemindBefore: number,
  now: number,
): Extract<Timer, { type: 'silence-reminder' }> | null {
  const at = silence.endsAt - (silence.remindBefore ?? defaultRemindBefore);
  if (at <= now || at < silence.startsAt) return null;
  return { type: 'silence-reminder', silenceId: silence.id, at };
}

/**
 * The reminder when its timer is due: notifies `receivers` that the silence ends soon. Nothing when the
 * silence changed since the timer was planned (extended or shortened: a new timer was planned for it).
 */
export function onSilenceReminder(
  silence: Silence | undefined,
  timer: Extract<Timer, { type: 'silence-reminder' }>,
  receivers: readonly string[],
  defaultRemindBefore: number,
  now: number,
): Effect[] {
  if (!silence || silence.id !== timer.silenceId) return [];
  if (silence.endsAt - (silence.remindBefore ?? defaultRemindBefore) !== timer.at || now >= silence.endsAt)
    return [];
  const notification: SilenceExpiringNotification = {
    id: `${silence.id}.ends.${silence.endsAt}`,
    kind: 'silence-expiring',
    revision: 1,
    at: now,
    silence,
    endsAt: silence.endsAt,
  };
  return [...new Set(receivers)].map((receiver) => ({ kind: 'notify', receiver, notification }));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The matchers that select an incident's episodes, for the "Silence 1 h" button: its group labels, or when the
 * route groups by nothing, its series by name (from the stored incident, which lists every member).
 */
export function incidentMatchers(incident: Incident): Matcher[] {
  const group = Object.entries(incident.groupLabels).filter(([, value]) => value !== '');
  if (group.length > 0) return group.map(([name, value]) => ({ name, op: '=', value }));
  const series = [...new Set(incident.members.map((m) => m.series))];
  return [{ name: 'series', op: '=~', value: series.map(escapeRegex).join('|') }];
}

/** zod schema of a "Not an anomaly" feedback label, stored for retraining. */
export const feedbackLabelSchema = z.object({
  episodeId: z.string().min(1),
  series: z.string().min(1),
  channel: z.string().min(1),
  /** Epoch ms range the label covers (the episode's start and last point). */
  from: z.number().finite(),
  to: z.number().finite(),
  who: z.string().min(1),
  /** Epoch ms the label was given. */
  at: z.number().finite(),
  /** Also silence this series and channel for a day. */
  silenceForADay: z.boolean().optional(),
});

/** A "Not an anomaly" feedback label. */
export type FeedbackLabel = z.output<typeof feedbackLabelSchema>;

/**
 * One feedback label per member of an incident, as the "Not an anomaly" button stores them. Pass the stored
 * incident (from its `IncidentState`), not a notification's copy, which may list only some members.
 */
export function feedbackLabels(
  incident: Incident,
  who: string,
  at: number,
  silenceForADay = false,
): FeedbackLabel[] {
  return incident.members.map((m) => ({
    episodeId: m.episodeId,
    series: m.series,
    channel: m.channel,
    from: m.startedAt,
    to: m.lastSeenAt,
    who,
    at,
    ...(silenceForADay && { silenceForADay }),
  }));
}

/** The day-long silence a feedback label asks for (same series and channel), or null when it asks for none. */
export function feedbackSilence(label: FeedbackLabel): Silence | null {
  if (!label.silenceForADay) return null;
  return createSilence(
    {
      matchers: [
        { name: 'series', op: '=', value: label.series },
        { name: 'channel', op: '=', value: label.channel },
      ],
      startsAt: label.at,
      endsAt: label.at + 86_400_000,
      author: label.who,
      comment: `not an anomaly (episode ${label.episodeId})`,
    },
    label.at,
  );
}
