import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSeriesDetectorState, seriesKey } from '../../core/detector.ts';
import { encodeSeriesState, StateCodecError } from '../../core/state-codec.ts';
import {
  type Checkpoint,
  decodeCheckpoint,
  EMPTY_OUTBOX,
  encodeCheckpoint,
  sequenceAfter,
} from '../../functions/detect/checkpoint.ts';
import { point, transition } from '../adapters/fixtures.ts';

const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';

describe('checkpoint', () => {
  it('round-trips the state, the shard, the sequence number and an empty outbox', () => {
    // Prepare
    const state = newSeriesDetectorState();
    state.features.count = 7;
    const checkpoint: Checkpoint = {
      state,
      shard: 'shardId-000000000003',
      sequence: SEQUENCE,
      outbox: EMPTY_OUTBOX,
    };
    // Act
    const decoded = decodeCheckpoint(encodeCheckpoint(checkpoint), 'cpu');
    // Assess
    expect(decoded).toEqual(checkpoint);
  });

  it('round-trips an outbox exactly: points of a named channel with their dimensions, and transitions', () => {
    // Prepare
    const key = seriesKey('host-1', 'mem');
    const points = [
      point({ series: 'host-1', channel: 'mem', timestamp: 1, value: -0, rawScore: 5e-324, dimensions: {} }),
      point({ series: 'host-1', channel: 'mem', timestamp: 2, value: 1e100, anomalous: false }),
      point({
        series: 'host-1',
        channel: 'mem',
        timestamp: 3,
        dimensions: { région: 'Zürich' },
        modelVersion: 'm2',
      }),
    ];
    const transitions = [transition({ series: 'host-1', channel: 'mem' })];
    const checkpoint: Checkpoint = {
      state: newSeriesDetectorState(),
      shard: 's',
      sequence: '12',
      outbox: { points, transitions },
    };
    // Act
    const decoded = decodeCheckpoint(encodeCheckpoint(checkpoint), key);
    // Assess
    expect(decoded.outbox).toEqual({ points, transitions });
    expect(Object.is(decoded.outbox.points[0]?.value, -0)).toBe(true);
  });

  it('encodes every checkpoint of a run of encodes exactly, whatever the previous one was (the encoder caches across calls)', () => {
    // Prepare: the encoder reuses the last single-set outbox text and the last shard it checked, so runs of
    // checkpoints sharing, then changing, dimension objects, models and shards must each still round-trip.
    const shared = [Object.freeze({}), Object.freeze({ region: 'eu' }), { région: 'Zürich', tier: '1' }];
    const dimensions = fc.oneof(
      fc.constantFrom(...shared),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
    );
    const outboxPoint = fc.record({
      timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
      value: fc.double({ noNaN: true }),
      dimensions,
      modelVersion: fc.constantFrom('m1', 'm2'),
      anomalous: fc.boolean(),
    });
    const checkpoint = fc.record({
      shard: fc.constantFrom('shardId-000000000000', 'shardId-000000000001', 's'),
      sequence: fc.stringMatching(/^[0-9]{1,60}$/),
      points: fc.array(outboxPoint, { maxLength: 3 }),
      transitions: fc.nat({ max: 1 }),
    });
    fc.assert(
      fc.property(fc.array(checkpoint, { minLength: 1, maxLength: 8 }), (run) => {
        for (const { shard, sequence, points: ps, transitions: t } of run) {
          const points = ps.map((p) => point({ series: 'web', ...p }));
          const outbox = { points, transitions: t ? [transition({ series: 'web' })] : [] };
          const stored: Checkpoint = { state: newSeriesDetectorState(), shard, sequence, outbox };
          // Act
          const decoded = decodeCheckpoint(encodeCheckpoint(stored), 'web');
          // Assess
          expect(decoded).toEqual(stored);
        }
      }),
      { seed: 20261130, numRuns: 300 },
    );
  });

  it('reads the first format (no shard, no outbox), so stored series keep their state across an upgrade', () => {
    // Prepare: the "k1" layout, a 136-byte header carrying the sequence number
    const state = newSeriesDetectorState();
    state.features.count = 42;
    const bytes = encodeSeriesState(state, 136);
    bytes[0] = 0x6b;
    bytes[1] = 0x31;
    bytes[2] = 2;
    bytes.write('77', 3, 'latin1');
    // Act
    const decoded = decodeCheckpoint(bytes, 'cpu');
    // Assess
    expect(decoded).toMatchObject({ shard: '', sequence: '77', outbox: EMPTY_OUTBOX });
    expect(decoded.state.features.count).toBe(42);
  });

  it('orders Kinesis sequence numbers numerically, whatever their length', () => {
    // Act / Assess
    expect(sequenceAfter('10', '9')).toBe(true);
    expect(sequenceAfter('9', '10')).toBe(false);
    expect(sequenceAfter('123', '123')).toBe(false);
    expect(sequenceAfter('1', '')).toBe(true);
  });

  it('refuses what it did not write, truncated or padded bytes included', () => {
    // Prepare
    const valid = encodeCheckpoint({
      state: newSeriesDetectorState(),
      shard: 's',
      sequence: '12',
      outbox: { points: [point()], transitions: [] },
    });
    const wrongFormat = Uint8Array.from(valid);
    wrongFormat[1] = 0x39;
    const notDecimal = Uint8Array.from(valid);
    notDecimal[8] = 0x61;
    const padded = Buffer.concat([valid, Buffer.alloc(8)]);
    // Act / Assess
    expect(() => decodeCheckpoint({ v: 1 }, 'k')).toThrow(StateCodecError);
    expect(() => decodeCheckpoint('k1:1:AAAA', 'k')).toThrow(/not binary/);
    expect(() => decodeCheckpoint(wrongFormat, 'k')).toThrow(/format "k9"/);
    expect(() => decodeCheckpoint(notDecimal, 'k')).toThrow(/not decimal/);
    expect(() => decodeCheckpoint(valid.subarray(0, valid.length - 3), 'k')).toThrow(StateCodecError);
    expect(() => decodeCheckpoint(padded, 'k')).toThrow(/header promises/);
    expect(() => decodeCheckpoint(new Uint8Array(300), 'k')).toThrow(StateCodecError);
  });

  it('refuses to encode a shard id or sequence number it could not read back', () => {
    // Act / Assess
    const state = newSeriesDetectorState();
    expect(() => encodeCheckpoint({ state, shard: 'a b', sequence: '1', outbox: EMPTY_OUTBOX })).toThrow(
      /shard id/,
    );
    expect(() => encodeCheckpoint({ state, shard: 's', sequence: '1e5', outbox: EMPTY_OUTBOX })).toThrow(
      /not a decimal/,
    );
  });
});
