import { describe, expect, it } from 'vitest';
import { BUILT_IN_FORMATS, mapKafkaRecord } from '../../../core/kafka/kafka-payload.ts';
import { kafkaRecords } from '../../../core/kafka/kafka-records.ts';
import { kafkaRecord, mskEvent, type TopicRecord } from '../../support/kafka-events.ts';

const NOW = Date.UTC(2026, 0, 1);
const window = { now: NOW, maxFutureMs: 300_000 };

function map(record: TopicRecord) {
  const [view] = kafkaRecords(mskEvent({ 't-0': [kafkaRecord('t', 0, 0, record)] }));
  if (!view) throw new Error('no record');
  return mapKafkaRecord(view, BUILT_IN_FORMATS, window);
}

describe('mapKafkaRecord with JSON events', () => {
  it('reads one event, a list, or {"events": [...]}', () => {
    // Prepare
    const e = (v: number) => ({ series: 's', timestamp: NOW - v, value: v });

    // Act
    const one = map({ value: JSON.stringify(e(1)) });
    const list = map({
      value: JSON.stringify([e(1), e(2)]),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    const body = map({ value: JSON.stringify({ events: [e(3)] }) });

    // Assess
    expect(one).toEqual({
      events: [{ series: 's', timestamp: NOW - 1, values: { value: 1 }, dimensions: {} }],
      problems: [],
    });
    expect(list.events.map((x) => x.values.value)).toEqual([1, 2]);
    expect(body.events.map((x) => x.values.value)).toEqual([3]);
  });

  it('names what is wrong: not JSON, a refused event among good ones, an unknown format, a tombstone', () => {
    // Act
    const notJson = map({ value: '{"series":' });
    const mixed = map({
      value: JSON.stringify([
        { series: 's', timestamp: NOW, value: 1 },
        { series: 's', value: 2 },
      ]),
    });
    const ahead = map({ value: JSON.stringify({ series: 's', timestamp: NOW + 3_600_000, value: 1 }) });
    const protobuf = map({
      value: Buffer.from([1, 2, 3]),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    const tombstone = map({ value: null });

    // Assess
    expect(notJson).toEqual({ events: [], problems: [expect.stringMatching(/^value is not JSON: /)] });
    expect(mixed.events).toHaveLength(1);
    expect(mixed.problems).toEqual(['events[1]: invalid event: timestamp: is required']);
    expect(ahead.problems[0]).toMatch(/ahead of the receiving clock/);
    expect(protobuf.problems[0]).toMatch(
      /content-type "application\/x-protobuf" is not a format Seismo reads/,
    );
    expect(tombstone.problems).toEqual(['record has no value (a tombstone?): nothing to read']);
  });

  it('caps the problems listed for a record of many bad events', () => {
    // Act
    const many = map({ value: JSON.stringify(Array.from({ length: 25 }, () => ({ series: 's' }))) });

    // Assess
    expect(many.problems).toHaveLength(11);
    expect(many.problems[10]).toBe('… and 15 more problems');
  });
});
