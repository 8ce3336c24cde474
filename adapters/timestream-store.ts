import {
  type _Record,
  type Dimension,
  type MeasureValue,
  type RejectedRecord,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type { ScoredPoint } from '../core/detection-types.ts';
import { SINGLE_CHANNEL } from '../core/events/event-schema.ts';
import type { RejectedPoint, TimeSeriesStore, WriteResult } from '../core/ports.ts';
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
 * (value, raw_score, probability, anomalous, model_version), dimensioned by series, channel (for a named
 * channel) and the point's dimensions. Idempotent: the same record written again is accepted, and one already
 * stored with other values is reported as a duplicate by Timestream and left as it is. A record Timestream
 * rejects for another reason gets one more try, then is returned as rejected; its batch-mates are stored.
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

  async write(points: readonly ScoredPoint[]): Promise<WriteResult> {
    const rejected: RejectedPoint[] = [];
    const sendable: ScoredPoint[] = [];
    for (const point of points) {
      const broken = recordRuleBroken(point);
      if (broken) rejected.push({ point, reason: broken });
      else sendable.push(point);
    }
    for (let i = 0; i < sendable.length; i += TIMESTREAM_MAX_RECORDS) {
      rejected.push(...(await this.writeChunk(sendable.slice(i, i + TIMESTREAM_MAX_RECORDS))));
    }
    return { rejected };
  }

  private async writeChunk(points: readonly ScoredPoint[]): Promise<RejectedPoint[]> {
    const records = points.map(toRecord);
    const firstRejections = (await this.send(records)).filter((r) => !isDuplicate(r));
    if (firstRejections.length === 0) return [];

    // Rejections other than duplicates get one more chance, then are returned with Timestream's reason.
    const retryPoints = firstRejections.map((r) => pointAt(points, r.RecordIndex));
    const secondRejections = (await this.send(retryPoints.map(toRecord))).filter((r) => !isDuplicate(r));
    return secondRejections.map((r) => ({
      point: pointAt(retryPoints, r.RecordIndex),
      reason: `Timestream table ${this.table} rejected the record: ${r.Reason ?? 'no reason given'}`,
    }));
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

/** Timestream's limit on a record's dimensions (names and values) and on the whole record, in bytes. */
const MAX_DIMENSION_BYTES = 2_048;

/** Why Timestream would refuse this point's record whatever the retries, or undefined. */
function recordRuleBroken(point: ScoredPoint): string | undefined {
  let bytes = 0;
  for (const { Name, Value } of dimensionsOf(point))
    bytes += Buffer.byteLength(Name ?? '') + Buffer.byteLength(Value ?? '');
  if (bytes > MAX_DIMENSION_BYTES) {
    return `dimensions take ${bytes} bytes, over Timestream's ${MAX_DIMENSION_BYTES} per series`;
  }
  return undefined;
}

function dimensionsOf(point: ScoredPoint): Dimension[] {
  const dimensions: Dimension[] = [{ Name: 'series', Value: point.series }];
  if (point.channel !== SINGLE_CHANNEL) dimensions.push({ Name: 'channel', Value: point.channel });
  for (const [name, value] of Object.entries(point.dimensions).sort(([a], [b]) => a.localeCompare(b))) {
    // Validation refuses dimensions named like Seismo's own; Timestream refuses empty values.
    if (name !== 'series' && name !== 'channel' && value !== '')
      dimensions.push({ Name: name, Value: value });
  }
  return dimensions;
}

function toRecord(point: ScoredPoint): _Record {
  const dimensions = dimensionsOf(point);
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
