import { PassThrough } from 'node:stream';
import { type Emulators, startEmulators } from '../../local/emulators.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';

/** A local stack of its own (emulators, uniquely named stream and tables) for an ingestion test file. */
export async function startIngestStack(
  name: string,
  ingest: { readonly seriesCap?: number } = {},
  batchSize?: number,
): Promise<{ stack: LocalStack; emulators: Emulators; stop: () => Promise<void> }> {
  const emulators = await startEmulators({ dynalite: { createTableMs: 50 } });
  const run = `${name}-${process.pid}`;
  const stack = await startLocalStack({
    emulators,
    streamName: `events-${run}`,
    stateTable: `state-${run}`,
    ledgerTable: `published-${run}`,
    ingest: { seriesTable: `series-${run}`, ...ingest },
    out: new PassThrough().resume(),
    color: false,
    eventSource: { pollIntervalMs: 50, batchingWindowMs: 0, ...(batchSize ? { batchSize } : {}) },
  });
  return {
    stack,
    emulators,
    stop: async () => {
      await stack.stop();
      await emulators.stop();
    },
  };
}
