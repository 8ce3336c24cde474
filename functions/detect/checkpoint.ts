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

/** Bytes before the state: magic "k1", the sequence number's length, the sequence number (at most 128 digits). */
const HEADER_BYTES = 136;
const MAGIC = [0x6b, 0x31] as const; // "k1"
const MAX_SEQUENCE_DIGITS = HEADER_BYTES - 3;
const ZERO = 0x30;

/** Encodes a checkpoint as binary: a fixed header carrying the sequence number, then the packed state. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { sequence } = checkpoint;
  if (sequence.length > MAX_SEQUENCE_DIGITS || !/^\d*$/.test(sequence)) {
    throw new RangeError(
      `sequence number "${sequence.slice(0, 40)}" is not a decimal of at most ${MAX_SEQUENCE_DIGITS} digits`,
    );
  }
  const bytes = encodeSeriesState(checkpoint.state, HEADER_BYTES);
  bytes[0] = MAGIC[0];
  bytes[1] = MAGIC[1];
  bytes[2] = sequence.length;
  for (let i = 0; i < sequence.length; i++) bytes[3 + i] = sequence.charCodeAt(i);
  return bytes;
}

/** Decodes what {@link encodeCheckpoint} wrote; throws a StateCodecError for anything else. */
export function decodeCheckpoint(stored: unknown): Checkpoint {
  if (!(stored instanceof Uint8Array)) throw new StateCodecError('stored checkpoint is not binary');
  if (stored.length < HEADER_BYTES || stored[0] !== MAGIC[0] || stored[1] !== MAGIC[1]) {
    throw new StateCodecError('stored checkpoint does not start with the "k1" header');
  }
  const length = stored[2] as number;
  let sequence = '';
  for (let i = 0; i < length && i < MAX_SEQUENCE_DIGITS; i++) {
    const digit = (stored[3 + i] as number) - ZERO;
    if (digit < 0 || digit > 9) throw new StateCodecError('stored sequence number is not decimal');
    sequence += String(digit);
  }
  return { sequence, state: decodeSeriesState(stored.subarray(HEADER_BYTES)) };
}

/** True when sequence number `a` comes after `b` (decimal strings of any length; '' is before all). */
export function sequenceAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}
