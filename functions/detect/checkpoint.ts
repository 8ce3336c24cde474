import type { SeriesDetectorState } from '../../core/detector.ts';
import { decodeSeriesState, encodeSeriesState, StateCodecError } from '../../core/state-codec.ts';

/**
 * What the detect handler stores per series: the detector state and the Kinesis sequence number of the last
 * record folded into it. One series stays on one shard, in order, so a record at or below that sequence
 * number is a re-delivery (a retried batch, a bisected half) and is skipped, whatever its timestamp.
 */
export interface Checkpoint {
  readonly state: SeriesDetectorState;
  /** Decimal Kinesis sequence number; '' before the first record. */
  readonly sequence: string;
}

const PREFIX = 'k1';

/** Encodes a checkpoint as `k1:<sequence>:<packed state>`. */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return `${PREFIX}:${checkpoint.sequence}:${encodeSeriesState(checkpoint.state)}`;
}

/** Decodes what {@link encodeCheckpoint} wrote; throws a StateCodecError for anything else. */
export function decodeCheckpoint(stored: unknown): Checkpoint {
  if (typeof stored !== 'string') throw new StateCodecError('stored checkpoint is not a string');
  const first = stored.indexOf(':');
  const second = stored.indexOf(':', first + 1);
  if (first < 0 || second < 0 || stored.slice(0, first) !== PREFIX) {
    throw new StateCodecError(`stored checkpoint does not start with "${PREFIX}:<sequence>:"`);
  }
  const sequence = stored.slice(first + 1, second);
  if (!/^\d*$/.test(sequence))
    throw new StateCodecError(`stored sequence number "${sequence}" is not decimal`);
  return { sequence, state: decodeSeriesState(stored.slice(second + 1)) };
}

/** True when sequence number `a` comes after `b` (decimal strings of any length; '' is before all). */
export function sequenceAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}
