import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { alertsCommand } from './alerts-command.ts';
import { CliError, type CliIo, type Command, processIo } from './command.ts';
import { modelsCommand } from './models-command.ts';
import { replayCommand } from './replay-command.ts';
import { retrainCommand } from './retrain-command.ts';
import { routesCommand } from './routes-command.ts';
import { scoreCommand } from './score-command.ts';
import { sendCommand } from './send-command.ts';
import { silencesCommand } from './silences-command.ts';

/** Every `seismo` subcommand; adding one is one line here. */
export const COMMANDS: readonly Command[] = [
  scoreCommand,
  replayCommand,
  sendCommand,
  routesCommand,
  alertsCommand,
  silencesCommand,
  modelsCommand,
  retrainCommand,
];

/** The version of this Seismo, from its package.json. */
export function packageVersion(): string {
  const path = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** The top-level help: the command list. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: seismo <command> [options]',
    '',
    'Seismo: real-time anomaly detection for streams of measurements.',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "seismo <command> --help" for the options of one command.',
    '"seismo --version" (or -V) prints the version.',
    '',
  ].join('\n');
}

/**
 * Runs `seismo` with `argv` (without node and script) and returns the exit code: 0 on success, 1 when the
 * work failed, 2 when the command line is wrong. Never calls `process.exit`, so tests can run it in-process.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`seismo ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const known = COMMANDS.map((c) => c.name).join(', ');
    const what = name.startsWith('-') ? 'option' : 'command';
    io.stderr.write(`seismo: unknown ${what} "${name}" (commands: ${known}; see "seismo --help")\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`seismo ${command.name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
