import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_FORMATS } from '../../../core/kafka/kafka-payload.ts';
import type { DeadLetter } from '../../../core/ports.ts';
import { ingestKafkaBatch } from '../../../functions/kafka-ingest/kafka-ingest.ts';
import { type Emulator, localKinesisClient, startKinesisMock } from '../../../local/emulators.ts';
import { createStream } from '../../../local/stack.ts';
import { SeismoProducer } from '../../../producer/seismo-producer.ts';
import { FaultPlan, FaultyDeadLetters } from '../../support/fault-injection.ts';
import { kafkaRecord, mskEvent, runMapping, type TopicRecord } from '../../support/kafka-events.ts';
import { MemoryKinesis } from '../../support/memory-kinesis.ts';

const NOW = Date.UTC(2026, 0, 1);
const instant = { maxAttempts: 3, sleep: async () => {} };

function event(series: string, value: number) {
  return { series, timestamp: NOW - 60_000 + value, value };
}

describe('ingestKafkaBatch against kinesis-mock', () => {
  let kinesisMock: Emulator;
  let client: KinesisClient;

  beforeAll(async () => {
    kinesisMock = await startKinesisMock();
    client = localKinesisClient(kinesisMock.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await kinesisMock?.stop();
  });

  it('puts the valid events on the stream keyed by series and dead-letters bad records with the reason', async () => {
    // Prepare: two partitions; a batch record, a record with one bad event of two, a record that is not JSON.
    const streamName = `kafka-${process.pid}`;
    await createStream(client, streamName, 1);
    const batch = mskEvent({
      'metrics-0': [
        kafkaRecord('metrics', 0, 40, {
          value: JSON.stringify([event('cpu', 1), event('mem', 2)]),
          key: 'host-a',
        }),
        kafkaRecord('metrics', 0, 41, {
          value: JSON.stringify([event('cpu', 3), { series: 'cpu', value: 4 }]),
        }),
      ],
      'metrics-1': [
        kafkaRecord('metrics', 1, 7, { value: '{"series": "disk"' }),
        kafkaRecord('metrics', 1, 8, {
          value: JSON.stringify({ events: [event('disk', 5)] }),
          headers: { 'content-type': 'application/json' },
        }),
      ],
    });
    const letters = new FaultyDeadLetters(undefined);
    const producer = new SeismoProducer({ streamName, client });

    // Act
    const { response, stats } = await ingestKafkaBatch(batch, {
      sender: producer,
      deadLetters: letters,
      formats: BUILT_IN_FORMATS,
      now: () => NOW,
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(stats).toMatchObject({ records: 4, events: 4, sent: 4, deadLettered: 2, retried: 0 });
    const shard = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards?.[0]?.ShardId;
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const page = await client.send(new GetRecordsCommand({ ShardIterator }));
    const onStream = (page.Records ?? []).map((r) => [
      r.PartitionKey,
      JSON.parse(Buffer.from(r.Data ?? []).toString()).value,
    ]);
    expect(onStream).toEqual([
      ['cpu', 1],
      ['mem', 2],
      ['cpu', 3],
      ['disk', 5],
    ]);
    expect(letters.entries).toEqual([
      {
        reason:
          'Kafka metrics-0@41 (its 1 valid event(s) were sent): events[1]: invalid event: timestamp: is required',
        data: Buffer.from(JSON.stringify([event('cpu', 3), { series: 'cpu', value: 4 }])).toString('base64'),
        sequenceNumber: '41',
        partitionKey: 'metrics-0',
      },
      {
        reason: expect.stringMatching(/^Kafka metrics-1@7: value is not JSON: /),
        data: Buffer.from('{"series": "disk"').toString('base64'),
        sequenceNumber: '7',
        partitionKey: 'metrics-1',
      },
    ]);
  });
});

/** A record's content for the property: valid events (by unique value), or something bad. */
type Planned = { readonly kind: 'events'; readonly values: number[] } | { readonly kind: 'bad' };

describe('ingestKafkaBatch under stream and dead-letter faults (property)', () => {
  it('loses nothing: every valid event reaches the stream, every bad record the dead-letter queue', async () => {
    let nextValue = 0;
    const plannedRecord = fc.oneof(
      fc
        .integer({ min: 1, max: 4 })
        .map((n): Planned => ({ kind: 'events', values: Array.from({ length: n }, () => nextValue++) })),
      fc.constant<Planned>({ kind: 'bad' }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(plannedRecord, { maxLength: 30 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 20 }),
        async (plan, seed, batchSize) => {
          // Prepare: partitions of records; bad ones alternate between unreadable and schema-breaking.
          const partitions: Record<string, TopicRecord[]> = {};
          plan.forEach((records, p) => {
            partitions[`metrics-${p}`] = records.map((r, i) =>
              r.kind === 'bad'
                ? { value: i % 2 === 0 ? 'not json' : JSON.stringify({ series: 'x', value: 1 }) }
                : { value: JSON.stringify(r.values.map((v) => event(`s${v % 5}`, v))) },
            );
          });
          const kinesis = new MemoryKinesis(seed, 0.15);
          const faults = new FaultPlan(seed + 1, 0.1);
          const letters = new FaultyDeadLetters(faults);
          const deps = {
            sender: new SeismoProducer({ streamName: 's', client: kinesis.client, backoff: instant }),
            deadLetters: letters,
            formats: BUILT_IN_FORMATS,
            now: () => NOW,
          };

          // Act
          await runMapping(partitions, async (e) => (await ingestKafkaBatch(e, deps)).response, {
            batchSize,
          });

          // Assess
          const sent = kinesis.records.map((r) => JSON.parse(r.data.toString()).value as number);
          const wanted = plan.flat().flatMap((r) => (r.kind === 'events' ? r.values : []));
          expect(new Set(sent)).toEqual(new Set(wanted));
          const badCount = plan.flat().filter((r) => r.kind === 'bad').length;
          const lettered = new Set(
            letters.entries.map((l: DeadLetter) => `${l.partitionKey}@${l.sequenceNumber}`),
          );
          expect(lettered.size).toBe(badCount);
          const injected =
            kinesis.faults.entry + kinesis.faults.call + kinesis.faults.lostResponse + faults.total;
          if (injected === 0) expect(sent).toHaveLength(wanted.length);
        },
      ),
      { seed: 20261130, numRuns: 150 },
    );
  });
});
