import { describe, expect, it } from 'vitest';
import { newSeriesDetectorState } from '../../core/detector.ts';
import { StateCodecError } from '../../core/state-codec.ts';
import { decodeCheckpoint, encodeCheckpoint, sequenceAfter } from '../../functions/detect/checkpoint.ts';

describe('checkpoint', () => {
  it('round-trips the state and the sequence number', () => {
    // Prepare
    const state = newSeriesDetectorState();
    state.features.count = 7;
    const sequence = '49590338271490256608559692538361571095921575989136588898';
    // Act
    const decoded = decodeCheckpoint(encodeCheckpoint({ state, sequence }));
    // Assess
    expect(decoded.sequence).toBe(sequence);
    expect(decoded.state.features.count).toBe(7);
  });

  it('orders Kinesis sequence numbers numerically, whatever their length', () => {
    // Act / Assess
    expect(sequenceAfter('10', '9')).toBe(true);
    expect(sequenceAfter('9', '10')).toBe(false);
    expect(sequenceAfter('123', '123')).toBe(false);
    expect(sequenceAfter('1', '')).toBe(true);
  });

  it('refuses what it did not write', () => {
    // Act / Assess
    const valid = encodeCheckpoint({ state: newSeriesDetectorState(), sequence: '12' });
    const wrongMagic = Uint8Array.from(valid);
    wrongMagic[1] = 0x32;
    const notDecimal = Uint8Array.from(valid);
    notDecimal[4] = 0x61;
    expect(() => decodeCheckpoint({ v: 1 })).toThrow(StateCodecError);
    expect(() => decodeCheckpoint('k1:1:AAAA')).toThrow(/not binary/);
    expect(() => decodeCheckpoint(wrongMagic)).toThrow(/"k1" header/);
    expect(() => decodeCheckpoint(notDecimal)).toThrow(/not decimal/);
  });
});
