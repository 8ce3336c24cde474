import { describe, expect, it } from 'vitest';
import { decodeHeaders, KafkaEventShapeError, kafkaRecords } from '../../../core/kafka/kafka-records.ts';
import { kafkaBatchResponse } from '../../../core/kafka/partial-failures.ts';
import { javaBytes, kafkaRecord, mskEvent, selfManagedEvent } from '../../support/kafka-events.ts';

describe('kafkaRecords', () => {
  it("reads the AWS documentation's MSK example as Lambda sends it", () => {
    // Prepare: the example event of the Lambda developer guide ("Using Lambda with Amazon MSK").
    const event = {
      eventSource: 'aws:kafka',
      eventSourceArn:
        'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
      bootstrapServers:
        'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
      records: {
        'mytopic-0': [
          {
            topic: 'mytopic',
            partition: 0,
            offset: 15,
            timestamp: 1545084650987,
            timestampType: 'CREATE_TIME',
            key: 'abcDEFghiJKLmnoPQRstuVWXyz1234==',
            value: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
            headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
          },
        ],
      },
    };

    // Act
    const [record] = kafkaRecords(event);

    // Assess
    expect(record).toMatchObject({ partitionKey: 'mytopic-0', topic: 'mytopic', partition: 0, offset: 15 });
    expect(record?.value?.toString()).toBe('Hello, this is a test.');
    expect(record?.headers.get('headerKey')?.toString()).toBe('headerValue');
  });

  it('flattens partitions in offset order, self-managed or MSK, and decodes signed header bytes', () => {
    // Prepare
    const partitions = {
      'metrics-1': [
        kafkaRecord('metrics', 1, 8, { value: 'b' }),
        kafkaRecord('metrics', 1, 7, {
          value: 'a',
          headers: { 'content-type': 'application/json', unit: 'µs' },
        }),
      ],
      'metrics-0': [kafkaRecord('metrics', 0, 3, { value: null, key: 'k' })],
    };

    // Act
    const fromMsk = kafkaRecords(mskEvent(partitions));
    const fromSelfManaged = kafkaRecords(selfManagedEvent(partitions));

    // Assess
    expect(fromMsk).toEqual(fromSelfManaged);
    expect(fromMsk.map((r) => `${r.partitionKey}@${r.offset}`)).toEqual([
      'metrics-1@7',
      'metrics-1@8',
      'metrics-0@3',
    ]);
    expect(fromMsk[0]?.headers.get('unit')?.toString()).toBe('µs');
    expect(javaBytes('µ').some((b) => b < 0)).toBe(true);
    expect(fromMsk[2]?.value).toBeUndefined();
    expect(fromMsk[2]?.key?.toString()).toBe('k');
    expect(decodeHeaders([{ a: [255, -1] }]).get('a')).toEqual(Buffer.from([255, 255]));
  });

  it('refuses an event that is not the Kafka shape, naming what is missing', () => {
    // Act / Assess
    expect(() => kafkaRecords({ Records: [] } as never)).toThrow(KafkaEventShapeError);
    expect(() => kafkaRecords({ eventSource: 'aws:kafka', records: { 't-0': {} } } as never)).toThrow(
      /records\["t-0"\] must be a list/,
    );
  });
});

describe('kafkaBatchResponse', () => {
  it('names, per partition, the lowest offset that failed; untouched partitions are not named', () => {
    // Prepare
    const records = kafkaRecords(
      mskEvent({
        't-0': [10, 11, 12].map((o) => kafkaRecord('t', 0, o, { value: 'x' })),
        't-1': [5, 6].map((o) => kafkaRecord('t', 1, o, { value: 'x' })),
        't-2': [1].map((o) => kafkaRecord('t', 2, o, { value: 'x' })),
      }),
    );

    // Act
    const response = kafkaBatchResponse(records, [2, 1, 4]);

    // Assess
    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: { partition: 't-0', offset: 11 } },
        { itemIdentifier: { partition: 't-1', offset: 6 } },
      ],
    });
    expect(kafkaBatchResponse(records, [])).toEqual({ batchItemFailures: [] });
  });
});
