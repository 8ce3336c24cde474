import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

/** One write the fake received, in order: a rewrite or a refused create is visible to the test. */
export interface S3Write {
  readonly key: string;
  readonly ifNoneMatch: boolean;
  readonly outcome: 'created' | 'overwritten' | 'refused';
}

/**
 * An S3 bucket in memory behind aws-sdk-client-mock, behaving as S3 does where the registry relies on it:
 * PutObject with `If-None-Match: *` on an existing key fails with 412 PreconditionFailed, GetObject of a
 * missing key with NoSuchKey, and ListObjectsV2 pages (`pageSize` keys a page, small by default so that
 * callers must follow continuation tokens). Every write is recorded.
 */
export function fakeS3(pageSize = 3) {
  const objects = new Map<string, Uint8Array>();
  const writes: S3Write[] = [];
  const mock = mockClient(S3Client);
  mock
    .on(PutObjectCommand)
    .callsFake(async (input: { Key: string; Body: Uint8Array | string; IfNoneMatch?: string }) => {
      const exists = objects.has(input.Key);
      if (input.IfNoneMatch === '*' && exists) {
        writes.push({ key: input.Key, ifNoneMatch: true, outcome: 'refused' });
        throw new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          $metadata: { httpStatusCode: 412 },
          message: 'At least one of the pre-conditions you specified did not hold',
        });
      }
      const body = typeof input.Body === 'string' ? Buffer.from(input.Body) : new Uint8Array(input.Body);
      objects.set(input.Key, body);
      writes.push({
        key: input.Key,
        ifNoneMatch: input.IfNoneMatch === '*',
        outcome: exists ? 'overwritten' : 'created',
      });
      return { ETag: `"${writes.length}"` };
    });
  mock.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (!body)
      throw new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404 },
      });
    // The part of a streaming body the adapters use.
    const copy = new Uint8Array(body);
    return { Body: { transformToByteArray: async () => copy } as never };
  });
  mock.on(ListObjectsV2Command).callsFake(async (input: { Prefix?: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + pageSize);
    const more = start + pageSize < keys.length;
    return {
      Contents: page.map((Key) => ({ Key })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + pageSize) } : {}),
    };
  });
  return { client: new S3Client({ region: 'us-east-1' }), objects, writes, mock };
}
