import type { Writable } from 'node:stream';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Where a command writes: the process streams in production, in-memory streams in tests. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** True when stderr is an interactive terminal: progress is then redrawn in place. */
  readonly stderrIsTty: boolean;
}

/** The process's own streams, for the `seismo` binary. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stderrIsTty: process.stderr.isTTY === true };
}

/** One `seismo` subcommand: its help text and a runner that returns the process exit code. */
export interface Command {
  readonly name: string;
  /** One line for the command list in `seismo --help`. */
  readonly summary: string;
  /** Full help for `seismo <name> --help`: synopsis and options. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A failure the user can fix; its message is printed as is and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong (unknown command or option, missing argument, unknown column): exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Option declarations in the shape `node:util` `parseArgs` takes. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments strictly (unknown options and missing values are errors) and turns
 * `parseArgs`'s errors into a `UsageError` that names the command.
 */
export function parseOptions<const T extends OptionSpecs>(
  command: string,
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      // Keep the first sentence: the rest of Node's text explains `--` for positionals, not the mistake.
      const first = (error as Error).message.split(/\.\s/)[0] ?? '';
      throw new UsageError(`${first} (see "seismo ${command} --help")`);
    }
    throw error;
  }
}

/** The one FILE argument of a command that works on one file; a usage error for none or several. */
export function singleFile(command: string, positionals: readonly string[]): string {
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError(`missing FILE.csv (see "seismo ${command} --help")`);
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument(s) ${extra.join(' ')}: ${command} one file at a time`);
  }
  return file;
}
