import { z } from 'zod';
import type { Incident, MemberSnapshot, Notification } from '../incident-types.ts';
import { formatMatcher } from '../matchers.ts';
import { formatProbability } from './format.ts';
import { incidentTitle, memberCount, membersByUrgency } from './incident-text.ts';
import type { AlertLinks } from './links.ts';
import { headline } from './notification-text.ts';

/**
 * The webhook body: versioned JSON in the Standard Webhooks shape `{type, timestamp, data}`, plus `version`
 * and the notification `id`. Machines read it, so values stay raw (numbers, ISO 8601 times); `rarity` and
 * `summary` add the words people see elsewhere. The zod schema below is the contract, also as JSON Schema.
 */

/** Version of the body; bumped only for a change a consumer must handle. */
export const WEBHOOK_BODY_VERSION = 1;

/** Members carried in one body; the rest are counted in `omittedMembers`. */
export const WEBHOOK_MAX_MEMBERS = 100;

const iso = z.iso.datetime();

const memberSchema = z.object({
  episodeId: z.string(),
  series: z.string(),
  channel: z.string(),
  dimensions: z.record(z.string(), z.string()),
  severity: z.enum(['warning', 'critical']),
  status: z.enum(['firing', 'resolved']),
  startedAt: iso,
  lastSeenAt: iso,
  peakProbability: z.number(),
  rarity: z.string(),
  value: z.number().nullable(),
  expected: z.object({ low: z.number().nullable(), high: z.number().nullable() }),
  topFeatures: z.array(z.object({ name: z.string(), value: z.number() })),
  modelVersion: z.string(),
});

const incidentSchema = z.object({
  id: z.string(),
  route: z.string(),
  title: z.string(),
  status: z.enum(['firing', 'acknowledged', 'resolved']),
  severity: z.enum(['warning', 'critical']),
  groupLabels: z.record(z.string(), z.string()),
  openedAt: iso,
  updatedAt: iso,
  resolvedAt: iso.nullable(),
  acknowledged: z.object({ by: z.string(), at: iso, via: z.string() }).nullable(),
  resolvedBy: z.string().nullable(),
  escalationLevel: z.number().int(),
  memberCount: z.number().int(),
  omittedMembers: z.number().int(),
  members: z.array(memberSchema),
});

const links = z.object({
  ack: z.string().optional(),
  silence1h: z.string().optional(),
  notAnAnomaly: z.string().optional(),
  dashboard: z.string().optional(),
});

const envelope = <T extends string, D extends z.ZodType>(types: readonly [T, ...T[]], data: D) =>
  z.object({
    type: z.enum(types),
    version: z.literal(WEBHOOK_BODY_VERSION),
    id: z.string().describe('notification id: the same for every retry and every receiver'),
    timestamp: iso,
    data,
  });

/** zod schema of every webhook body Seismo sends. */
export const webhookBodySchema = z.union([
  envelope(
    [
      'seismo.episode.opened',
      'seismo.episode.updated',
      'seismo.episode.escalated',
      'seismo.episode.acknowledged',
      'seismo.episode.resolved',
    ],
    z.object({
      summary: z.string(),
      revision: z
        .number()
        .int()
        .describe('increases per incident: drop a body older than one already handled'),
      reasons: z.array(z.string()),
      standalone: z.boolean().describe('a resolve for an incident that ended before it was announced'),
      incident: incidentSchema,
      links,
    }),
  ),
  envelope(
    ['seismo.budget.exceeded'],
    z.object({
      route: z.string(),
      max: z.number(),
      perSeconds: z.number(),
      digestEverySeconds: z.number(),
      since: iso,
    }),
  ),
  envelope(
    ['seismo.digest'],
    z.object({
      route: z.string(),
      from: iso,
      to: iso,
      omitted: z.number().int(),
      items: z.array(
        z.object({
          incidentId: z.string(),
          kind: z.string(),
          severity: z.string(),
          title: z.string(),
          at: iso,
        }),
      ),
    }),
  ),
  envelope(
    ['seismo.silence.expiring'],
    z.object({
      silenceId: z.string(),
      author: z.string(),
      comment: z.string(),
      matchers: z.array(z.string()),
      endsAt: iso,
    }),
  ),
]);

/** A webhook body. */
export type WebhookBody = z.output<typeof webhookBodySchema>;

/** The JSON Schema (draft 2020-12) of webhook bodies, for receivers to validate against. */
export function webhookBodyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(webhookBodySchema) as Record<string, unknown>;
}

const isoOf = (ms: number) => new Date(ms).toISOString();

function memberBody(m: MemberSnapshot): z.output<typeof memberSchema> {
  return {
    episodeId: m.episodeId,
    series: m.series,
    channel: m.channel,
    dimensions: { ...m.dimensions },
    severity: m.severity,
    status: m.status,
    startedAt: isoOf(m.startedAt),
    lastSeenAt: isoOf(m.lastSeenAt),
    peakProbability: m.peakProbability,
    rarity: formatProbability(m.peakProbability),
    value: m.value,
    expected: { ...m.expected },
    topFeatures: m.topFeatures.map((f) => ({ name: f.name, value: f.value })),
    modelVersion: m.modelVersion,
  };
}

function incidentBody(inc: Incident): z.output<typeof incidentSchema> {
  const members = membersByUrgency(inc).slice(0, WEBHOOK_MAX_MEMBERS);
  return {
    id: inc.id,
    route: inc.routeId,
    title: incidentTitle(inc),
    status: inc.status,
    severity: inc.severity,
    groupLabels: { ...inc.groupLabels },
    openedAt: isoOf(inc.openedAt),
    updatedAt: isoOf(inc.updatedAt),
    resolvedAt: inc.resolvedAt === null ? null : isoOf(inc.resolvedAt),
    acknowledged: inc.acknowledged ? { ...inc.acknowledged, at: isoOf(inc.acknowledged.at) } : null,
    resolvedBy: inc.resolvedBy,
    escalationLevel: inc.escalation.level,
    memberCount: memberCount(inc),
    omittedMembers: memberCount(inc) - members.length,
    members: members.map(memberBody),
  };
}

/** Renders any notification as a webhook body (serialize it with `JSON.stringify`). */
export function renderWebhook(n: Notification, linksOf: AlertLinks = {}): WebhookBody {
  const base = { version: WEBHOOK_BODY_VERSION, id: n.id, timestamp: isoOf(n.at) } as const;
  switch (n.kind) {
    case 'budget-exceeded':
      return {
        type: 'seismo.budget.exceeded',
        ...base,
        data: {
          route: n.routeId,
          max: n.budget.max,
          perSeconds: n.budget.per / 1000,
          digestEverySeconds: n.budget.digestEvery / 1000,
          since: isoOf(n.since),
        },
      };
    case 'digest':
      return {
        type: 'seismo.digest',
        ...base,
        data: {
          route: n.routeId,
          from: isoOf(n.from),
          to: isoOf(n.to),
          omitted: n.omitted,
          items: n.items.map((i) => ({ ...i, at: isoOf(i.at) })),
        },
      };
    case 'silence-expiring':
      return {
        type: 'seismo.silence.expiring',
        ...base,
        data: {
          silenceId: n.silence.id,
          author: n.silence.author,
          comment: n.silence.comment,
          matchers: n.silence.matchers.map(formatMatcher),
          endsAt: isoOf(n.endsAt),
        },
      };
    default:
      return {
        type: `seismo.episode.${n.kind}`,
        ...base,
        data: {
          summary: headline(n),
          revision: n.revision,
          reasons: [...n.reasons],
          standalone: n.standalone,
          incident: incidentBody(n.incident),
          links: { ...linksOf },
        },
      };
  }
}
