import { beforeAll, describe, expect, it } from 'vitest';
import { Detector, newSeriesDetectorState, type SeriesDetectorState } from '../../core/detector.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import {
  decodeSeriesState,
  encodeSeriesState,
  packedStateLength,
  StateCodecError,
} from '../../core/state-codec.ts';
import { loadModel } from '../../models/model-store.ts';

const T0 = Date.UTC(2026, 0, 1);

function events(from: number, to: number): MeasurementEvent[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return {
      series: 's',
      timestamp: T0 + i * 300_000,
      values: { value: 50 + 10 * Math.sin(i / 20) + (i % 7) },
      dimensions: {},
    };
  });
}

describe('state codec', () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = new Detector((await loadModel()).scorer);
  });

  it('round-trips a live state exactly, so a restored series scores as if never checkpointed', async () => {
    // Prepare
    const kept = new Map<string, SeriesDetectorState>();
    const restored = new Map<string, SeriesDetectorState>();
    await detector.detect(events(0, 900), kept);
    await detector.detect(events(0, 900), restored);
    // Act
    const bytes = encodeSeriesState(restored.get('s') as SeriesDetectorState);
    restored.set('s', decodeSeriesState(bytes));
    const a = await detector.detect(events(900, 1200), kept);
    const b = await detector.detect(events(900, 1200), restored);
    // Assess
    expect(b.points.map((p) => p.probability)).toEqual(a.points.map((p) => p.probability));
    expect(decodeSeriesState(bytes)).toEqual(JSON.parse(JSON.stringify(decodeSeriesState(bytes))));
    expect(decodeSeriesState(bytes.slice(0)).features).toEqual(decodeSeriesState(bytes).features);
  });

  it('reads a state from bytes at any offset, as a database client may hand them over', () => {
    // Prepare
    const bytes = encodeSeriesState(newSeriesDetectorState());
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    // Act
    const decoded = decodeSeriesState(shifted.subarray(3));
    // Assess
    expect(decoded).toEqual(newSeriesDetectorState());
  });

  it("round-trips a counter's last reading", () => {
    // Prepare
    const state = { ...newSeriesDetectorState(), counter: { raw: 5e9, at: 1_700_000_000_000 } };
    // Act
    const decoded = decodeSeriesState(encodeSeriesState(state));
    // Assess
    expect(decoded.counter).toEqual({ raw: 5e9, at: 1_700_000_000_000 });
    expect(decodeSeriesState(encodeSeriesState(newSeriesDetectorState())).counter).toBeUndefined();
  });

  it('reads the first format (24 header fields, no counter), so stored states survive an upgrade', () => {
    // Prepare: format 1 was format 2 without fields 24..31 and with 0 where a counter now is
    const state = newSeriesDetectorState();
    state.features.count = 3;
    state.features.recentTimestamps = [1, 2, 3];
    const v2 = new Float64Array(new Uint8Array(encodeSeriesState(state)).buffer);
    const v1 = new Float64Array(v2.length - 8);
    v1.set(v2.subarray(0, 24));
    v1.set(v2.subarray(32), 24);
    v1[0] = 1;
    v1[23] = 0;
    // Act
    const decoded = decodeSeriesState(new Uint8Array(v1.buffer));
    // Assess: everything as stored; the lowest value seen is unknown to the first format
    expect(decoded).toEqual({ ...state, features: { ...state.features, minValue: Number.NaN } });
    expect(packedStateLength(new Uint8Array(v1.buffer))).toBe(v1.length * 8);
  });

  it('refuses what it did not write, saying why', () => {
    // Act / Assess
    expect(() => decodeSeriesState({ v: 1 })).toThrow(StateCodecError);
    expect(() => decodeSeriesState(new Uint8Array(12))).toThrow(/not a packed detector state/);
    expect(() => decodeSeriesState(new Uint8Array(24 * 8))).toThrow(/format 0/);
  });
});
