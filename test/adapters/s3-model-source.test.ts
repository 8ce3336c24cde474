import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModelFromS3, parseS3Uri } from '../../adapters/s3-model-source.ts';
import { ModelChecksumMismatch, ModelSchemaMismatch } from '../../core/scoring/model-verification.ts';
import { DEFAULT_MODEL_DIR } from '../../models/model-store.ts';

const s3 = mockClient(S3Client);

/** The one method of an S3 body stream the loader uses. */
function body(content: Uint8Array | string) {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return { transformToByteArray: async () => bytes } as never;
}

async function shipped() {
  const card = await readFile(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8');
  const onnx = await readFile(join(DEFAULT_MODEL_DIR, 'model.onnx'));
  return { card, onnx };
}

describe('loadModelFromS3', () => {
  afterEach(() => s3.reset());

  it('loads the card, then the model it names, and scores with it', async () => {
    // Prepare
    const { card, onnx } = await shipped();
    s3.on(GetObjectCommand, { Bucket: 'models', Key: 'prod/current/model.json' }).resolves({
      Body: body(card),
    });
    s3.on(GetObjectCommand, { Bucket: 'models', Key: 'prod/current/model.onnx' }).resolves({
      Body: body(onnx),
    });
    // Act
    const { scorer } = await loadModelFromS3(new S3Client({}), 's3://models/prod/current/');
    const scores = await scorer.score(new Float32Array(5), 1);
    // Assess
    expect(scores).toHaveLength(1);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
  });

  it('refuses a model whose bytes differ from its card', async () => {
    // Prepare
    const { card, onnx } = await shipped();
    const tampered = Uint8Array.from(onnx);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0xff;
    s3.on(GetObjectCommand, { Key: 'm/model.json' }).resolves({ Body: body(card) });
    s3.on(GetObjectCommand, { Key: 'm/model.onnx' }).resolves({ Body: body(tampered) });
    // Act / Assess
    await expect(loadModelFromS3(new S3Client({}), 's3://b/m')).rejects.toBeInstanceOf(ModelChecksumMismatch);
  });

  it('refuses a model trained on other features', async () => {
    // Prepare
    const { card, onnx } = await shipped();
    const other = {
      ...JSON.parse(card),
      featureNames: ['z_short', 'z_long', 'gap', 'level_shift', 'seasonal_z'],
    };
    s3.on(GetObjectCommand, { Key: 'm/model.json' }).resolves({ Body: body(JSON.stringify(other)) });
    s3.on(GetObjectCommand, { Key: 'm/model.onnx' }).resolves({ Body: body(onnx) });
    // Act / Assess
    await expect(loadModelFromS3(new S3Client({}), 's3://b/m')).rejects.toThrow(ModelSchemaMismatch);
  });

  it('names the object it could not read', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );
    // Act / Assess
    await expect(loadModelFromS3(new S3Client({}), 's3://b/missing')).rejects.toThrow(
      's3://b/missing/model.json',
    );
    expect(() => parseS3Uri('https://b/m')).toThrow(/s3:\/\/bucket\/prefix/);
  });
});
