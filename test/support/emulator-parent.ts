import { startEmulators } from '../../local/emulators.ts';

/**
 * A parent for the "no orphan" test: starts both emulators, prints their pids as one JSON line and waits to
 * be killed. Run with `node --import tsx test/support/emulator-parent.ts`, so the pid killed is this script's.
 */
const emulators = await startEmulators();
process.stdout.write(
  `${JSON.stringify({ kinesis: emulators.kinesis.pid, dynamodb: emulators.dynamodb.pid })}\n`,
);
setInterval(() => {}, 60_000);
