import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './durations.ts';
import { type Matcher, MatcherSyntaxError, parseMatcher } from './matchers.ts';
import {
  parseDayOfMonthRange,
  parseMonthRange,
  parseTimeOfDay,
  parseWeekdayRange,
  parseYearRange,
} from './time-interval-parts.ts';

/**
 * The zod schema of the routing config file: what an operator writes. `parseAlertingConfig` runs it, then
 * checks what a schema cannot (names exist and are unique, the root is a catch-all) and resolves inheritance.
 * Durations, matchers, time zones and ranges are parsed here, so an error names the exact path and rule.
 */

const name = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(128, { error: 'must be at most 128 characters' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, {
    error: 'must be letters, digits and _ . : - (starting with a letter or digit)',
  });

/** A duration such as `30s`, `5m`, `4h`, `1h30m`; parsed to milliseconds. */
export const durationSchema = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), { error: 'must be a duration such as 30s, 5m, 4h or 1h30m' })
  .transform((text) => parseDuration(text) as number);

/** A matcher text such as `severity="critical"`; parsed to a {@link import('./matchers.ts').Matcher}. */
export const matcherSchema = z.string().transform((text, ctx) => {
  try {
    return parseMatcher(text);
  } catch (error) {
    if (!(error instanceof MatcherSyntaxError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.reason, input: text });
    return z.NEVER;
  }
});

/** An IANA time zone name (`Europe/Berlin`, `America/New_York`, `UTC`). */
export const timeZoneSchema = z.string().refine((zone) => IANAZone.isValidZone(zone), {
  error: (issue) => `unknown time zone "${String(issue.input)}" (use an IANA name such as Europe/Berlin)`,
});

function parsed<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message, input: text });
      return z.NEVER;
    }
  });
}

const timeRangeSchema = z.strictObject({
  start: parsed(parseTimeOfDay).describe('HH:MM, inclusive'),
  end: parsed(parseTimeOfDay).describe('HH:MM, exclusive; 24:00 for the end of the day'),
});

/** One recurring window, as Alertmanager's `time_intervals[].times[]`; absent fields match every value. */
export const timeWindowSchema = z.strictObject({
  weekdays: z.array(parsed(parseWeekdayRange)).optional().describe('e.g. monday:friday, saturday'),
  timesOfDay: z.array(timeRangeSchema).optional(),
  daysOfMonth: z.array(parsed(parseDayOfMonthRange)).optional().describe('e.g. 1:5, -1 (the last day)'),
  months: z.array(parsed(parseMonthRange)).optional().describe('e.g. january:march, 12'),
  years: z.array(parsed(parseYearRange)).optional().describe('e.g. 2026, 2026:2027'),
});

const timeIntervalSchema = z.strictObject({
  name,
  timeZone: timeZoneSchema.default('UTC'),
  times: z.array(timeWindowSchema).min(1, { error: 'needs at least one window' }),
});

/** Shapes of secrets pasted where their name belongs: a Slack token, a Standard Webhooks secret, a PagerDuty key. */
const LOOKS_LIKE_A_SECRET = /^(?:xox[abposr]-|whsec_|[0-9a-f]{32}$)/i;

const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, {
    error: 'must be a Secrets Manager secret name (not the secret itself)',
  })
  .refine((value) => !LOOKS_LIKE_A_SECRET.test(value), {
    error: 'looks like the secret itself: store it in Secrets Manager and give its name here',
  });

/** zod schema of one receiver as configured (also what a channel message carries). */
export const receiverSchema = z.discriminatedUnion('type', [
  z.strictObject({ name, type: z.literal('slack'), channel: z.string().min(1).max(80) }),
  z.strictObject({
    name,
    type: z.literal('email'),
    to: z
      .array(z.email({ error: 'must be an email address' }))
      .min(1)
      .max(50),
  }),
  z.strictObject({
    name,
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    secretName: secretName.describe('Secrets Manager name of the Standard Webhooks signing secret'),
  }),
  z.strictObject({
    name,
    type: z.literal('pagerduty'),
    routingKeySecretName: secretName.describe('Secrets Manager name of the Events API v2 routing key'),
  }),
]);

const escalationPolicySchema = z.strictObject({
  name,
  levels: z
    .array(
      z.strictObject({
        after: durationSchema.describe(
          'delay after the previous level (level 1: after the first notification)',
        ),
        receivers: z.array(name).min(1),
      }),
    )
    .min(1, { error: 'needs at least one level' })
    .max(10),
  repeat: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(0)
    .describe('times the levels run again after the last one'),
});

const inhibitRuleSchema = z.strictObject({
  name: name.optional(),
  sourceMatchers: z.array(matcherSchema).min(1),
  targetMatchers: z.array(matcherSchema).min(1),
  equal: z.array(z.string().min(1)).default([]).describe('labels that must be equal in source and target'),
});

const budgetSchema = z.strictObject({
  max: z.number().int().min(1).max(10_000).describe('notifications allowed per window'),
  per: durationSchema.describe('the sliding window, e.g. 1h'),
  digestEvery: durationSchema
    .optional()
    .describe('how often held-back notifications go out as a digest; default: per'),
});

/** Settings a route inherits from its parent unless it sets them itself. */
const inheritable = {
  receivers: z.array(name).min(1).optional(),
  groupBy: z
    .array(z.string().min(1))
    .optional()
    .describe('labels that group episodes; ["..."] groups by every label'),
  groupWait: durationSchema.optional(),
  groupInterval: durationSchema.optional(),
  repeatInterval: durationSchema.optional(),
  sendResolved: z.boolean().optional(),
  escalation: name.optional().describe('an escalation policy name'),
  muteTimeIntervals: z.array(name).optional(),
  activeTimeIntervals: z.array(name).optional(),
};

/** One route as written: matchers, settings and child routes. */
export interface RouteInput {
  name?: string;
  matchers?: string[];
  continue?: boolean;
  budget?: z.input<typeof budgetSchema>;
  routes?: RouteInput[];
  receivers?: string[];
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  sendResolved?: boolean;
  escalation?: string;
  muteTimeIntervals?: string[];
  activeTimeIntervals?: string[];
}

/** One route as zod parsed it: durations in ms, matchers parsed, defaults filled. */
export interface ParsedRoute {
  name?: string | undefined;
  matchers: Matcher[];
  continue: boolean;
  budget?: BudgetConfig | undefined;
  routes: ParsedRoute[];
  receivers?: string[] | undefined;
  groupBy?: string[] | undefined;
  groupWait?: number | undefined;
  groupInterval?: number | undefined;
  repeatInterval?: number | undefined;
  sendResolved?: boolean | undefined;
  escalation?: string | undefined;
  muteTimeIntervals?: string[] | undefined;
  activeTimeIntervals?: string[] | undefined;
}

/** zod schema of one route, recursive through `routes`. */
export const routeSchema: z.ZodType<ParsedRoute, RouteInput> = z.lazy(() =>
  z.strictObject({
    name: name.optional(),
    matchers: z.array(matcherSchema).default([]),
    continue: z.boolean().default(false).describe('keep matching later siblings after this route matched'),
    budget: budgetSchema.optional(),
    ...inheritable,
    routes: z.array(routeSchema).default([]),
  }),
);

/** zod schema of the whole routing config file. */
export const alertingConfigSchema = z.strictObject({
  version: z.literal(1),
  receivers: z.array(receiverSchema).min(1, { error: 'needs at least one receiver' }),
  route: routeSchema.describe('the root route: a catch-all without matchers'),
  timeIntervals: z.array(timeIntervalSchema).default([]),
  escalationPolicies: z.array(escalationPolicySchema).default([]),
  inhibitRules: z.array(inhibitRuleSchema).default([]),
  silences: z
    .strictObject({
      remindBefore: durationSchema.default(15 * 60_000),
      receivers: z.array(name).default([]),
    })
    .optional(),
  links: z
    .strictObject({
      dashboardUrl: z
        .string()
        .optional()
        .describe('URL template; {series}, {channel}, {incidentId}, {episodeId} are replaced, URL-encoded'),
    })
    .optional(),
});

/** The config file as zod parsed it, before references are checked and inheritance resolved. */
export type AlertingConfigInput = z.output<typeof alertingConfigSchema>;
/** One receiver as configured. */
export type Receiver = z.output<typeof receiverSchema>;
/** A receiver's channel type. */
export type ReceiverType = Receiver['type'];
/** An escalation policy as configured (delays in ms). */
export type EscalationPolicy = z.output<typeof escalationPolicySchema>;
/** An inhibition rule as configured (matchers parsed). */
export type InhibitRule = z.output<typeof inhibitRuleSchema>;
/** A notification budget as configured (durations in ms). */
export type BudgetConfig = z.output<typeof budgetSchema>;
/** A named set of recurring windows in one time zone. */
export type TimeInterval = z.output<typeof timeIntervalSchema>;
/** One recurring window of a time interval. */
export type TimeWindow = z.output<typeof timeWindowSchema>;

/**
 * The JSON Schema of the config file (draft 2020-12, input side: durations and matchers as text), for editors
 * (`# yaml-language-server: $schema=...`) and for checking a config outside TypeScript.
 */
export function alertingConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(alertingConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
