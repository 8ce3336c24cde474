import type { EpisodeTransition, ScoredPoint } from '../../core/detection-types.ts';
import { parseSeriesKey, type SeriesDetectorState } from '../../core/detector.ts';
import {
  decodeSeriesState,
  encodeSeriesState,
  packedStateLength,
  StateCodecError,
} from '../../core/state-codec.ts';

/**
 * What the detect handler stores per series, in one conditional write: the detector state, where in the
 * stream it stands (the shard and the sequence number of the last record folded into it), and the outbox:
 * the points and transitions that batch produced. The write comes first and the side effects after, so a
 * container working from a stale cache loses the write race before anything leaves it, and a delivery that
 * fails is retried from the outbox, with the scores as first computed.
 */
export interface Checkpoint {
  readonly state: SeriesDetectorState;
  /** Shard whose records the sequence number belongs to; '' for a checkpoint of the first format. */
  readonly shard: string;
  /** Decimal Kinesis sequence number; '' before the first record. */
  readonly sequence: string;
  readonly outbox: Outbox;
}

/** The outputs of the batch that wrote a checkpoint, to deliver after it was saved. */
export interface Outbox {
  readonly points: readonly ScoredPoint[];
  readonly transitions: readonly EpisodeTransition[];
}

/** An outbox with nothing in it. */
export const EMPTY_OUTBOX: Outbox = Object.freeze({ points: [], transitions: [] });

const MAX_SEQUENCE_DIGITS = 128;
const MAX_SHARD_CHARS = 64;
/** Magic "k2", two lengths, the outbox length, the sequence number and the shard id, then the state. */
const HEADER_BYTES = 8 + MAX_SEQUENCE_DIGITS + MAX_SHARD_CHARS;
const MAGIC = 0x6b; // "k"
const FORMAT = 0x32; // "2"
/** The first format: magic "k1", the sequence number's length and digits in 136 bytes, then the state. */
const LEGACY_FORMAT = 0x31;
const LEGACY_HEADER_BYTES = 136;
/** Per point: timestamp, value, raw score, probability (float64), flags (byte), dimensions and model index. */
const POINT_BYTES = 4 * 8 + 1 + 2 + 2;

/** Encodes a checkpoint as binary: header, packed state, then the outbox. */
export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  const { sequence, shard, outbox } = checkpoint;
  if (sequence.length > MAX_SEQUENCE_DIGITS) throw notDecimal(sequence);
  if (shard !== lastShard && (shard.length > MAX_SHARD_CHARS || !PRINTABLE_ASCII.test(shard))) {
    throw new RangeError(
      `shard id "${shard.slice(0, 40)}" is not printable ASCII of at most ${MAX_SHARD_CHARS}`,
    );
  }
  // A batch comes from one shard: its id is checked once, not once per series.
  lastShard = shard;
  const { points, transitions } = outbox;
  const text = outboxText(points, transitions);
  const outboxBytes =
    points.length === 0 && text.bytes.length === 0 ? 0 : 4 + points.length * POINT_BYTES + text.bytes.length;

  const bytes = encodeSeriesState(checkpoint.state, HEADER_BYTES, outboxBytes);
  bytes[0] = MAGIC;
  bytes[1] = FORMAT;
  bytes[2] = sequence.length;
  bytes[3] = shard.length;
  bytes.writeUInt32LE(outboxBytes, 4);
  // Loops: cheaper than a regular expression and a native string write for a few dozen characters.
  for (let i = 0; i < sequence.length; i++) {
    const code = sequence.charCodeAt(i);
    if (code < 0x30 || code > 0x39) throw notDecimal(sequence);
    bytes[8 + i] = code;
  }
  for (let i = 0; i < shard.length; i++) bytes[8 + MAX_SEQUENCE_DIGITS + i] = shard.charCodeAt(i);
  if (outboxBytes === 0) return bytes;

  let at = bytes.length - outboxBytes;
  bytes.writeUInt32LE(points.length, at);
  at += 4;
  for (const point of points) {
    bytes.writeDoubleLE(point.timestamp, at);
    bytes.writeDoubleLE(point.value, at + 8);
    bytes.writeDoubleLE(point.rawScore, at + 16);
    bytes.writeDoubleLE(point.probability, at + 24);
    bytes[at + 32] = point.anomalous ? 1 : 0;
    bytes.writeUInt16LE(text.dimensionIndex(point.dimensions), at + 33);
    bytes.writeUInt16LE(text.models.indexOf(point.modelVersion), at + 35);
    at += POINT_BYTES;
  }
  bytes.set(text.bytes, at);
  return bytes;
}

function notDecimal(sequence: string): RangeError {
  return new RangeError(
    `sequence number "${sequence.slice(0, 40)}" is not a decimal of at most ${MAX_SEQUENCE_DIGITS} digits`,
  );
}

const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
/** The shard id the last encode checked. */
let lastShard: string | undefined;

/** The text part of an outbox (its dimension sets, models and transitions) as UTF-8, and how points refer to it. */
interface EncodedOutboxText {
  readonly bytes: Uint8Array;
  readonly models: readonly string[];
  dimensionIndex(dimensions: Readonly<Record<string, string>>): number;
}

const NO_TEXT: EncodedOutboxText = { bytes: new Uint8Array(0), models: [], dimensionIndex: () => 0 };

/**
 * The last single-set outbox text: one dimension set, one model, no transitions (most series, most batches;
 * events without dimensions share one frozen object, so the same bytes serve batch after batch).
 */
let lastSingle: { dimensions: object; model: string; text: EncodedOutboxText } | undefined;

function outboxText(
  points: readonly ScoredPoint[],
  transitions: readonly EpisodeTransition[],
): EncodedOutboxText {
  if (points.length === 0 && transitions.length === 0) return NO_TEXT;
  const first = points[0];
  if (first && transitions.length === 0 && lastSingle?.dimensions === first.dimensions) {
    const { model } = lastSingle;
    if (
      first.modelVersion === model &&
      points.every((p) => p.dimensions === first.dimensions && p.modelVersion === model)
    )
      return lastSingle.text;
  }
  const dimensions: Readonly<Record<string, string>>[] = [];
  const index = new Map<object, number>();
  const models: string[] = [];
  for (const point of points) {
    if (!index.has(point.dimensions)) {
      index.set(point.dimensions, dimensions.length);
      dimensions.push(point.dimensions);
    }
    if (!models.includes(point.modelVersion)) models.push(point.modelVersion);
  }
  const single = dimensions.length === 1 && models.length === 1 && transitions.length === 0;
  const text: EncodedOutboxText = {
    bytes: Buffer.from(JSON.stringify({ d: dimensions, m: models, t: transitions })),
    models,
    dimensionIndex: (d) => index.get(d) as number,
  };
  if (single) lastSingle = { dimensions: dimensions[0] as object, model: models[0] as string, text };
  return text;
}

/**
 * Decodes what {@link encodeCheckpoint} wrote for series key `key` (the first format too, which had no shard
 * and no outbox); throws a {@link StateCodecError} for anything else.
 */
export function decodeCheckpoint(stored: unknown, key: string): Checkpoint {
  if (!(stored instanceof Uint8Array)) throw new StateCodecError('stored checkpoint is not binary');
  if (stored.length < LEGACY_HEADER_BYTES || stored[0] !== MAGIC) {
    throw new StateCodecError('stored checkpoint does not start with a "k" header');
  }
  if (stored[1] === LEGACY_FORMAT) {
    const sequence = digits(stored, 3, stored[2] as number);
    return {
      state: decodeSeriesState(stored.subarray(LEGACY_HEADER_BYTES)),
      shard: '',
      sequence,
      outbox: EMPTY_OUTBOX,
    };
  }
  if (stored[1] !== FORMAT || stored.length < HEADER_BYTES) {
    throw new StateCodecError(`stored checkpoint has format "k${String.fromCharCode(stored[1] ?? 0)}"`);
  }
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.length);
  const sequence = digits(bytes, 8, bytes[2] as number);
  const shardLength = bytes[3] as number;
  if (shardLength > MAX_SHARD_CHARS) throw new StateCodecError('stored shard id is too long');
  const shard = bytes.toString('latin1', 8 + MAX_SEQUENCE_DIGITS, 8 + MAX_SEQUENCE_DIGITS + shardLength);
  const outboxBytes = bytes.readUInt32LE(4);
  const body = bytes.subarray(HEADER_BYTES);
  const stateBytes = packedStateLength(body);
  if (stateBytes + outboxBytes !== body.length) {
    throw new StateCodecError(
      `stored checkpoint is ${bytes.length} bytes, its header promises ${HEADER_BYTES + stateBytes + outboxBytes}`,
    );
  }
  const state = decodeSeriesState(body.subarray(0, stateBytes));
  const outbox = outboxBytes === 0 ? EMPTY_OUTBOX : decodeOutbox(body.subarray(stateBytes), key);
  return { state, shard, sequence, outbox };
}

function digits(bytes: Uint8Array, from: number, length: number): string {
  if (length > MAX_SEQUENCE_DIGITS) throw new StateCodecError('stored sequence number is too long');
  let sequence = '';
  for (let i = 0; i < length; i++) {
    const digit = (bytes[from + i] as number) - 0x30;
    if (digit < 0 || digit > 9) throw new StateCodecError('stored sequence number is not decimal');
    sequence += String(digit);
  }
  return sequence;
}

interface OutboxText {
  readonly d: Readonly<Record<string, string>>[];
  readonly m: string[];
  readonly t: EpisodeTransition[];
}

function decodeOutbox(bytes: Buffer, key: string): Outbox {
  const count = bytes.readUInt32LE(0);
  const textAt = 4 + count * POINT_BYTES;
  if (textAt > bytes.length) throw new StateCodecError('stored outbox is shorter than its point count');
  let text: OutboxText;
  try {
    text = JSON.parse(bytes.toString('utf8', textAt)) as OutboxText;
  } catch (error) {
    throw new StateCodecError(`stored outbox is not readable: ${(error as Error).message}`);
  }
  const { series, channel } = parseSeriesKey(key);
  const points: ScoredPoint[] = new Array(count);
  for (let i = 0, at = 4; i < count; i++, at += POINT_BYTES) {
    const dimensions = text.d[bytes.readUInt16LE(at + 33)];
    const modelVersion = text.m[bytes.readUInt16LE(at + 35)];
    if (dimensions === undefined || modelVersion === undefined) {
      throw new StateCodecError('stored outbox point refers to a missing dimension set or model');
    }
    points[i] = {
      series,
      channel,
      timestamp: bytes.readDoubleLE(at),
      value: bytes.readDoubleLE(at + 8),
      rawScore: bytes.readDoubleLE(at + 16),
      probability: bytes.readDoubleLE(at + 24),
      anomalous: bytes[at + 32] === 1,
      dimensions,
      modelVersion,
    };
  }
  return { points, transitions: text.t };
}

/** True when sequence number `a` comes after `b` (decimal strings of any length; '' is before all). */
export function sequenceAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}
