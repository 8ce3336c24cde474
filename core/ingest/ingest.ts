import { seriesKey } from '../detector.ts';
import type { MeasurementEvent } from '../events/event-schema.ts';
import type { Refusal } from './metric-sample.ts';
import type { Translation } from './translate.ts';

/**
 * After translation: the cardinality guard admits series, the writer puts the admitted events on the stream.
 * Both are ports (DynamoDB and Kinesis in production, the same adapters on emulators locally), so protocol
 * handlers, a Kafka consumer and a poller share this step.
 */

/** The outcome of asking for a tenant's series to be admitted. */
export interface Admission {
  /** Series keys (series and channel) refused because they are new and the tenant is at its cap. */
  readonly refused: ReadonlySet<string>;
  /** The tenant's cap, for the reason text. */
  readonly cap: number;
}

/** The per-tenant cap on distinct series: known series always pass, new ones only while under the cap. */
export interface SeriesAdmission {
  admit(tenant: string, keys: readonly string[]): Promise<Admission>;
}

/** One event the stream did not take, after retries. */
export interface FailedWrite {
  /** Index into the events handed to {@link EventWriter.write}. */
  readonly index: number;
  /** The stream's error code and message. */
  readonly reason: string;
}

/** Puts events on the stream, partition key = series, retrying what the stream refused for a while. */
export interface EventWriter {
  write(events: readonly MeasurementEvent[]): Promise<readonly FailedWrite[]>;
}

/** What happened to a translated request. */
export interface IngestResult {
  /** Events on the stream. */
  readonly written: number;
  /** Samples refused: by the translator (invalid, not allowed) and by the series cap. */
  readonly refusals: readonly Refusal[];
  /** Events the stream did not take after retries: retrying the request may succeed. */
  readonly failed: readonly FailedWrite[];
  readonly skipped: ReadonlyMap<string, number>;
  /** Events accepted by translation and admission (what a dry run returns). */
  readonly events: readonly MeasurementEvent[];
}

/** Dependencies of {@link admitAndWrite}. */
export interface IngestDeps {
  readonly admission: SeriesAdmission;
  readonly writer: EventWriter;
}

/**
 * Applies the series cap to a translation and writes what passes (unless `dryRun`). A multi-channel event keeps
 * its admitted channels; one left with none is refused.
 */
export async function admitAndWrite(
  translation: Translation,
  tenant: string,
  deps: IngestDeps,
  options: { readonly dryRun?: boolean } = {},
): Promise<IngestResult> {
  const keys = new Set<string>();
  for (const event of translation.events) {
    for (const channel in event.values) keys.add(seriesKey(event.series, channel));
  }
  const admission =
    keys.size === 0 ? { refused: new Set<string>(), cap: 0 } : await deps.admission.admit(tenant, [...keys]);
  const refusals: Refusal[] = [...translation.refusals];
  const events: MeasurementEvent[] = [];
  for (const event of translation.events) {
    if (admission.refused.size === 0) {
      events.push(event);
      continue;
    }
    const kept: Record<string, number> = {};
    let any = false;
    for (const [channel, value] of Object.entries(event.values)) {
      if (admission.refused.has(seriesKey(event.series, channel))) {
        refusals.push({
          code: 'series-limit',
          origin: event.series,
          reason: `new series "${event.series}" (channel ${channel}) refused: tenant ${tenant} already has the ${admission.cap} distinct series its cap allows; known series keep flowing`,
        });
      } else {
        kept[channel] = value;
        any = true;
      }
    }
    if (any) events.push({ ...event, values: kept });
  }
  if (options.dryRun) {
    return { written: 0, refusals, failed: [], skipped: translation.skipped, events };
  }
  const failed = events.length === 0 ? [] : await deps.writer.write(events);
  return { written: events.length - failed.length, refusals, failed, skipped: translation.skipped, events };
}
