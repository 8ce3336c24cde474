import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../functions/detect/decode-records.ts';

function record(eventID: string, sequenceNumber: string, event: object): KinesisStreamRecord {
  return {
    eventID,
    kinesis: {
      sequenceNumber,
      partitionKey: 'p',
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
    },
  } as KinesisStreamRecord;
}

describe('decodeBatch', () => {
  it('gives every record its own shard, also when one shard id is a prefix of the next', () => {
    // Prepare: Lambda hands one shard per batch, but nothing here may rely on it.
    const ids = ['shardId-1', 'shardId-1', 'shardId-10', 'shardId-1', 'shardId-100', '', 'shardId-10'];
    const records = ids.map((id, i) =>
      record(id === '' ? '' : `${id}:${4900 + i}`, `${4900 + i}`, {
        series: 'web',
        timestamp: 1_700_000_000_000 + i,
        value: i,
      }),
    );
    // Act
    const { accepted, rejected } = decodeBatch(records);
    // Assess
    expect(rejected).toEqual([]);
    expect(accepted.map((a) => a.shard)).toEqual(ids);
    expect(accepted.map((a) => a.recordIndex)).toEqual(ids.map((_, i) => i));
  });
});
