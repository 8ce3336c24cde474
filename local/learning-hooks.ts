import type { KinesisStreamEvent } from 'aws-lambda';
import { type ArchiveSink, localArchiveSink } from '../adapters/archive-sink.ts';
import { localRegistry } from '../adapters/model-registry.ts';
import type { ChampionSource } from '../core/learning/registry.ts';
import { LOCAL_LEARNING_DIR } from './retrain.ts';

/**
 * What the local stack plugs in to learn: an archive sink for the event source (Firehose's part) and the
 * registry's read side for the detector (the champion pointer and its bytes), both over `.seismo/`.
 */

/** The local archive sink: `.seismo/archive/day=…/hour=…/` (or under `dir`). */
export function localArchive(dir = LOCAL_LEARNING_DIR): ArchiveSink {
  return localArchiveSink(dir);
}

/** The local registry's read side, for the detector's hot reload. */
export function localChampionSource(dir = LOCAL_LEARNING_DIR): ChampionSource {
  return localRegistry(dir);
}

/**
 * Wraps the event source's handler so each batch is archived before it is detected, independently of the
 * detector as Firehose is: an archive failure is reported through `onError` and never fails the batch, and
 * a retried batch rewrites its archive object instead of adding one.
 */
export function archivingHandler<Response>(
  handler: (event: KinesisStreamEvent) => Promise<Response>,
  sink: ArchiveSink,
  onError: (error: Error) => void = (e) => console.error(`archive: ${e.message}`),
): (event: KinesisStreamEvent) => Promise<Response> {
  return async (event) => {
    try {
      await sink(event.Records);
    } catch (error) {
      onError(error as Error);
    }
    return handler(event);
  };
}
