import { z } from 'zod';

/** Deciles of a model's raw training scores and their shares (core/learning/drift.ts). */
export const ScoreReferenceSchema = z.object({
  edges: z.array(z.number()),
  fractions: z.array(z.number()),
});

/**
 * The model card stored beside every `.onnx` file (`model.json`). The detector reads it to check the
 * artifact's sha256 and that the model expects exactly the detector's features, in order.
 */
export const ModelCardSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  algorithm: z.enum(['isolation-forest', 'autoencoder']),
  featureNames: z.array(z.string().min(1)).min(1),
  featureSchemaVersion: z.number().int().positive(),
  input: z.object({
    name: z.literal('features'),
    shape: z.tuple([z.literal('N'), z.number().int().positive()]),
  }),
  output: z.object({ name: z.literal('score'), shape: z.tuple([z.literal('N'), z.literal(1)]) }),
  hyperparameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.array(z.number())])),
  training: z.object({
    description: z.string(),
    rows: z.number().int().nonnegative(),
    seed: z.number().int(),
    window: z.object({ from: z.string(), to: z.string() }).optional(),
  }),
  metrics: z.record(z.string(), z.number()),
  onnxFile: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdBy: z.string(),
  /** Where a retrained model came from; absent on the shipped default model. */
  lineage: z
    .object({
      runId: z.string(),
      featureCode: z.object({ schemaVersion: z.number().int(), fingerprint: z.string() }),
      trainingWindow: z.object({ from: z.string(), to: z.string() }),
      holdoutWindow: z.object({ from: z.string(), to: z.string() }),
      series: z.object({
        count: z.number().int().nonnegative(),
        sha256: z.string(),
        uri: z.string().optional(),
      }),
      excludedEpisodes: z.array(
        z.object({
          episodeId: z.string(),
          series: z.string(),
          channel: z.string(),
          from: z.string(),
          to: z.string(),
        }),
      ),
      seed: z.number().int(),
      trainer: z.object({ name: z.string(), version: z.string() }),
      packages: z.record(z.string(), z.string()),
      gitRevision: z.string(),
      /** Deciles of the model's raw scores on its training rows: the reference of the daily drift figure. */
      scoreReference: ScoreReferenceSchema,
    })
    .optional(),
});

/** A parsed model card. */
export type ModelCard = z.infer<typeof ModelCardSchema>;
