import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { OnnxScorer } from '../core/scoring/onnx-scorer.ts';
import type { ModelCard } from '../models/model-card.ts';
import { ModelCardError, parseModelCard } from '../models/model-store.ts';

/** Where a model lives in S3: `s3://bucket/prefix`, the folder holding model.json and its .onnx file. */
export interface S3ModelLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** Splits `s3://bucket/prefix` (a trailing slash is optional). */
export function parseS3Uri(uri: string): S3ModelLocation {
  const match = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(uri);
  if (!match) throw new ModelCardError(`model location "${uri}" is not s3://bucket/prefix`);
  return { bucket: match[1] as string, prefix: match[2] as string };
}

async function getBytes(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  try {
    const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!Body) throw new Error('empty body');
    return await Body.transformToByteArray();
  } catch (error) {
    throw new ModelCardError(`cannot read s3://${bucket}/${key}: ${(error as Error).message}`);
  }
}

/**
 * Loads a promoted model from S3 (`model.json`, then the .onnx file it names) into a verified scorer: the
 * same checksum and feature-list checks as a model from the layer, so a bad upload is refused, not served.
 */
export async function loadModelFromS3(
  client: S3Client,
  uri: string,
): Promise<{ card: ModelCard; scorer: OnnxScorer }> {
  const { bucket, prefix } = parseS3Uri(uri);
  const cardBytes = await getBytes(client, bucket, `${prefix}/model.json`);
  const card = parseModelCard(Buffer.from(cardBytes).toString('utf8'), `s3://${bucket}/${prefix}/model.json`);
  const model = await getBytes(client, bucket, `${prefix}/${card.onnxFile}`);
  return { card, scorer: await OnnxScorer.load(card, model, card.lineage?.scoreReference) };
}
