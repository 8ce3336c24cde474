import {
  type _Record,
  type Dimension,
  type MeasureValue,
  type RejectedRecord,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type { ScoredPoint } from '../core/detection-types.ts';
import type { TimeSeriesStore } from '../core/ports.ts';
import { isRetryableAwsError } from './aws-errors.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from './backoff.ts';

/** Timestream's limit on records per WriteRecords call. */
export const TIMESTREAM_MAX_RECORDS = 100;

/** Where and how the Timestream store writes. */
export interface TimestreamStoreOptions {
  readonly databaseName: string;
  readonly tableName: string;
  /** Measure name of the multi-measure records; `score` by default. */
  readonly measureName?: string;
  /** Retries of throttled and 5xx calls, on top of the SDK's own. */
  readonly backoff?: Partial<BackoffOptions>;
}

/** A record Timestream refused for a reason other than being a duplicate, after one retry. */
export interface RejectedPoint {
  readonly series: string;
  readonly timestamp: number;
  readonly reason: string;
}

/** Thrown when records stay rejected after their retry; names each point and Timestream's reason. */
export class TimestreamRejectedRecordsError extends Error {
  override readonly name = 'TimestreamRejectedRecordsError';
  constructor(
    readonly table: string,
    readonly rejected: readonly RejectedPoint[],
  ) {
    const shown = rejected
      .slice(0, 5)
      .map((r) => `${r.series}@${r.timestamp}: ${r.reason}`)
      .join('; ');
    const more = rejected.length > 5 ? ` (and ${rejected.length - 5} more)` : '';
    super(`Timestream table ${table} rejected ${rejected.length} record(s): ${shown}${more}`);
  }
}

/** Thrown when a WriteRecords call is still throttled or failing server-side after every attempt. */
export class TimestreamWriteFailedError extends Error {
  override readonly name = 'TimestreamWriteFailedError';
  constructor(
    readonly table: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`Timestream WriteRecords to ${table} failed after ${attempts} attempt(s): ${String(cause)}`, {
      cause,
    });
  }
}

/**
 * {@link TimeSeriesStore} on Amazon Timestream for LiveAnalytics: one multi-measure record per point
 * (value, raw_score, probability, anomalous, model_version), dimensioned by series and the point's dimensions.
 * Idempotent: a point already stored for the same series and time is rejected as a duplicate and dropped.
 */
export class TimestreamStore implements TimeSeriesStore {
  private readonly backoff: BackoffOptions;
  private readonly measureName: string;
  private readonly table: string;

  constructor(
    private readonly client: TimestreamWriteClient,
    private readonly options: TimestreamStoreOptions,
  ) {
    this.backoff = resolveBackoff(options.backoff);
    this.measureName = options.measureName ?? 'score';
    this.table = `${options.databaseName}.${options.tableName}`;
  }

  async write(points: readonly ScoredPoint[]): Promise<void> {
    for (let i = 0; i < points.length; i += TIMESTREAM_MAX_RECORDS) {
      await this.writeChunk(points.slice(i, i + TIMESTREAM_MAX_RECORDS));
    }
  }

  private async writeChunk(points: readonly ScoredPoint[]): Promise<void> {
    const records = points.map(toRecord);
    const firstRejections = (await this.send(records)).filter((r) => !isDuplicate(r));
    if (firstRejections.length === 0) return;

    // Rejections other than duplicates get one more chance, then are reported by name.
    const retryPoints = firstRejections.map((r) => pointAt(points, r.RecordIndex));
    const secondRejections = (await this.send(retryPoints.map(toRecord))).filter((r) => !isDuplicate(r));
    if (secondRejections.length === 0) return;
    throw new TimestreamRejectedRecordsError(
      this.table,
      secondRejections.map((r) => {
        const point = pointAt(retryPoints, r.RecordIndex);
        return { series: point.series, timestamp: point.timestamp, reason: r.Reason ?? 'unknown' };
      }),
    );
  }

  /** Sends one WriteRecords call, retrying throttling and 5xx; returns the rejected records, if any. */
  private async send(records: _Record[]): Promise<RejectedRecord[]> {
    const command = new WriteRecordsCommand({
      DatabaseName: this.options.databaseName,
      TableName: this.options.tableName,
      CommonAttributes: {
        MeasureName: this.measureName,
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
      },
      Records: records,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(command);
        return [];
      } catch (error) {
        if (isRejectedRecords(error)) return error.RejectedRecords ?? [];
        if (!isRetryableAwsError(error)) throw error;
        if (attempt >= this.backoff.maxAttempts) {
          throw new TimestreamWriteFailedError(this.table, attempt, error);
        }
        await this.backoff.sleep(backoffDelay(attempt - 1, this.backoff));
      }
    }
  }
}

function toRecord(point: ScoredPoint): _Record {
  const dimensions: Dimension[] = [{ Name: 'series', Value: point.series }];
  for (const [name, value] of Object.entries(point.dimensions).sort(([a], [b]) => a.localeCompare(b))) {
    // The series dimension wins over a point dimension of the same name; Timestream refuses empty values.
    if (name !== 'series' && value !== '') dimensions.push({ Name: name, Value: value });
  }
  const measures: MeasureValue[] = [];
  for (const [name, value] of [
    ['value', point.value],
    ['raw_score', point.rawScore],
    ['probability', point.probability],
  ] as const) {
    // Timestream has no NaN or Infinity: such a measure is left out of the record (null in queries).
    if (Number.isFinite(value)) measures.push({ Name: name, Value: String(value), Type: 'DOUBLE' });
  }
  measures.push({ Name: 'anomalous', Value: String(point.anomalous), Type: 'BOOLEAN' });
  measures.push({ Name: 'model_version', Value: point.modelVersion, Type: 'VARCHAR' });
  return { Dimensions: dimensions, Time: String(Math.trunc(point.timestamp)), MeasureValues: measures };
}

function pointAt(points: readonly ScoredPoint[], index: number | undefined): ScoredPoint {
  const point = index === undefined ? undefined : points[index];
  if (!point) throw new Error(`Timestream returned a rejected record index ${index} outside the request`);
  return point;
}

/** A record already stored with the same series, time and measure name: the write already happened. */
function isDuplicate(rejected: RejectedRecord): boolean {
  return (
    rejected.ExistingVersion !== undefined ||
    /duplicate|already exists|older version/i.test(rejected.Reason ?? '')
  );
}

function isRejectedRecords(
  error: unknown,
): error is Error & { RejectedRecords?: RejectedRecord[] | undefined } {
  return error instanceof Error && error.name === 'RejectedRecordsException';
}
