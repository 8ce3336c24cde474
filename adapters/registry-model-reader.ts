import type { ChampionSource, ModelPointer } from '../core/learning/registry.ts';
import type { BatchScorer } from '../core/scoring/batch-scorer.ts';
import { OnnxScorer } from '../core/scoring/onnx-scorer.ts';
import type { ModelPointers, ModelRef, ModelRegistryReader } from '../functions/detect/model-watcher.ts';
import { ModelCardError, parseModelCard } from '../models/model-store.ts';

/**
 * The detector's hot reload over the model registry (S3 + DynamoDB deployed, `.seismo/` locally): the
 * champion and challenger pointers, and a registered version's bytes opened as a scorer only after its card,
 * the pointer's checksum and the bytes all agree, so a tampered or half-written version is refused and the
 * detector keeps what it serves.
 */
export function registryModelReader(source: ChampionSource): ModelRegistryReader {
  return {
    async pointers(): Promise<ModelPointers> {
      const [champion, challenger] = await Promise.all([
        source.championPointer(),
        source.challengerPointer(),
      ]);
      return {
        ...(champion && { champion: refOf(champion) }),
        ...(challenger && { challenger: refOf(challenger) }),
      };
    },
    async load(ref: ModelRef): Promise<BatchScorer> {
      const artifact = await source.fetchArtifact(versionOf(ref));
      const where = `${artifact.pointer.uri}/model.json`;
      const card = parseModelCard(artifact.cardJson, where);
      if (card.sha256 !== ref.sha256) {
        throw new ModelCardError(
          `model card ${where} states sha256 ${card.sha256}, the registry pointer ${ref.sha256}: refusing ${ref.version}`,
        );
      }
      // OnnxScorer.load checks the bytes against the card's checksum and the feature list against ours.
      return OnnxScorer.load(card, artifact.onnx, card.lineage?.scoreReference);
    },
  };
}

/** Registry versions are named `registry v<n>`: never equal to a card's `name@version`, the layer model's key. */
function refOf(pointer: ModelPointer): ModelRef {
  return { version: `registry v${pointer.version}`, sha256: pointer.sha256 };
}

function versionOf(ref: ModelRef): number {
  const match = /^registry v(\d+)$/.exec(ref.version);
  if (!match) throw new Error(`"${ref.version}" does not name a registry version`);
  return Number(match[1]);
}
