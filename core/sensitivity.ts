import { z } from 'zod';
import { DEFAULT_EPISODE_OPTIONS, type EpisodeOptions } from './episodes/episode-tracker.ts';

/**
 * How readily series open anomaly episodes, without editing code: a sensitivity for every series, explicit
 * thresholds, and per-series overrides matched by series name, channel or dimensions (including muting a
 * series: it is still scored and stored, but never opens an episode). The same settings are read by the
 * deployed detector (deploy config), the local stack and `seismo score`.
 */

/** The named sensitivities. `medium` is what the shipped model was evaluated with (NAB). */
export const SENSITIVITIES = {
  /** Only the clearest anomalies: about a tenth of medium's episodes on clean data. */
  low: { openAbove: 0.9999, stayAbove: 0.99, calmPointsToResolve: 50 },
  medium: {
    openAbove: DEFAULT_EPISODE_OPTIONS.openAbove,
    stayAbove: DEFAULT_EPISODE_OPTIONS.stayAbove,
    calmPointsToResolve: DEFAULT_EPISODE_OPTIONS.calmPointsToResolve,
  },
  /** Subtler anomalies too, at the price of more false episodes. */
  high: { openAbove: 0.99, stayAbove: 0.8, calmPointsToResolve: 30 },
} as const satisfies Record<string, Omit<EpisodeOptions, 'criticalAbove'>>;

/** A sensitivity's name. */
export type Sensitivity = keyof typeof SENSITIVITIES;

const probability = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .gt(0, { error: `${name} must be above 0` })
    .lt(1, { error: `${name} must be below 1` });

const thresholds = {
  sensitivity: z
    .enum(['low', 'medium', 'high'], { error: 'sensitivity must be "low", "medium" or "high"' })
    .optional(),
  openAbove: probability('openAbove').optional(),
  stayAbove: probability('stayAbove').optional(),
  calmPoints: z
    .number()
    .int({ error: 'calmPoints must be a whole number' })
    .min(1, { error: 'calmPoints must be at least 1' })
    .max(100_000, { error: 'calmPoints must be at most 100000' })
    .optional(),
};

const matchSchema = z
  .strictObject({
    series: z.string().min(1).optional(),
    /** A regular expression the whole series name must match. */
    seriesPattern: z
      .string()
      .refine(isRegExp, { error: 'seriesPattern must be a valid regular expression' })
      .optional(),
    channel: z.string().min(1).optional(),
    dimensions: z.record(z.string(), z.string()).optional(),
  })
  .refine((m) => Object.keys(m).length > 0, {
    error: 'match must name at least one of series, seriesPattern, channel, dimensions',
  });

/** The settings' schema; errors name the path and the rule. */
export const DetectionSettingsSchema = z
  .strictObject({
    ...thresholds,
    overrides: z
      .array(z.strictObject({ match: matchSchema, mute: z.boolean().optional(), ...thresholds }))
      .max(200, { error: 'at most 200 overrides' })
      .optional(),
  })
  .superRefine((settings, ctx) => {
    const base = checkOrder(settings, DEFAULT_EPISODE_OPTIONS, [], ctx);
    settings.overrides?.forEach((o, i) => {
      checkOrder(o, base, ['overrides', i], ctx);
    });
  });

/** Detection settings as written in a config file or the deploy config. */
export type DetectionSettings = z.input<typeof DetectionSettingsSchema>;

/** Thrown for settings that break the schema; lists every problem with its path. */
export class DetectionSettingsError extends Error {
  override readonly name = 'DetectionSettingsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid detection settings: ${problems.join('; ')}`);
  }
}

/** Validates settings from JSON; throws a {@link DetectionSettingsError} naming every problem. */
export function parseDetectionSettings(input: unknown): DetectionSettings {
  const result = DetectionSettingsSchema.safeParse(input);
  if (result.success) return result.data;
  throw new DetectionSettingsError(
    result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(settings)'}: ${i.message}`),
  );
}

/** What applies to one series: its episode thresholds, and whether it is muted. */
export interface SeriesSettings {
  readonly episodes: EpisodeOptions;
  readonly mute: boolean;
}

/** The settings of a series, resolved from its identity; the first matching override wins. */
export type SettingsResolver = (
  series: string,
  channel: string,
  dimensions: Readonly<Record<string, string>>,
) => SeriesSettings;

/** Compiles settings, on top of `defaults`, into a resolver (regular expressions compiled once). */
export function settingsResolver(
  settings: DetectionSettings = {},
  defaults: EpisodeOptions = DEFAULT_EPISODE_OPTIONS,
): SettingsResolver {
  const base = episodesOf(settings, defaults);
  const everySeries: SeriesSettings = { episodes: base, mute: false };
  const overrides = (settings.overrides ?? []).map((o) => ({
    matches: matcher(o.match),
    resolved: { episodes: episodesOf(o, base), mute: o.mute ?? false } satisfies SeriesSettings,
  }));
  if (overrides.length === 0) return () => everySeries;
  return (series, channel, dimensions) =>
    overrides.find((o) => o.matches(series, channel, dimensions))?.resolved ?? everySeries;
}

/** True when some override looks at dimensions (which can differ from one event of a series to the next). */
export function readsDimensions(settings: DetectionSettings = {}): boolean {
  return (settings.overrides ?? []).some((o) => o.match.dimensions !== undefined);
}

function episodesOf(t: z.infer<z.ZodObject<typeof thresholds>>, base: EpisodeOptions): EpisodeOptions {
  const named = t.sensitivity ? SENSITIVITIES[t.sensitivity] : undefined;
  return {
    openAbove: t.openAbove ?? named?.openAbove ?? base.openAbove,
    stayAbove: t.stayAbove ?? named?.stayAbove ?? base.stayAbove,
    calmPointsToResolve: t.calmPoints ?? named?.calmPointsToResolve ?? base.calmPointsToResolve,
    criticalAbove: base.criticalAbove,
  };
}

function matcher(
  match: z.infer<typeof matchSchema>,
): (s: string, c: string, d: Readonly<Record<string, string>>) => boolean {
  const pattern = match.seriesPattern === undefined ? undefined : new RegExp(`^(?:${match.seriesPattern})$`);
  const dims = Object.entries(match.dimensions ?? {});
  return (series, channel, dimensions) =>
    (match.series === undefined || match.series === series) &&
    (pattern === undefined || pattern.test(series)) &&
    (match.channel === undefined || match.channel === channel) &&
    dims.every(([k, v]) => dimensions[k] === v);
}

/** Adds an issue when thresholds resolve to stay-above over open-above; returns what they resolve to. */
function checkOrder(
  t: z.infer<z.ZodObject<typeof thresholds>>,
  base: EpisodeOptions,
  path: (string | number)[],
  ctx: z.RefinementCtx,
): EpisodeOptions {
  const resolved = episodesOf(t, base);
  if (resolved.stayAbove > resolved.openAbove) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'stayAbove'],
      message: `stayAbove (${resolved.stayAbove}) must not be above openAbove (${resolved.openAbove})`,
    });
  }
  return resolved;
}

function isRegExp(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}
