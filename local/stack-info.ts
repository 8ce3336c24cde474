import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How `seismo replay` (another process) finds the stack `npm start` runs: `npm start` writes
 * `.seismo/local.json` in the repository and removes it on the way out; readers check that its process lives.
 */

/**
 * `.seismo/local.json` at the repository root, wherever the command is run from; SEISMO_STACK_FILE moves it
 * (tests use that, so they never touch a stack a developer is running).
 */
export const DEFAULT_STACK_FILE =
  process.env.SEISMO_STACK_FILE ??
  resolve(dirname(fileURLToPath(import.meta.url)), '..', '.seismo', 'local.json');

/** What a running local stack publishes about itself. */
export interface StackInfo {
  readonly version: 1;
  /** Process id of `npm start`'s node process, to tell a live stack from a stale file. */
  readonly pid: number;
  readonly region: string;
  readonly kinesisEndpoint: string;
  readonly streamName: string;
  readonly dynamodbEndpoint: string;
  readonly httpUrl: string;
  readonly startedAt: string;
  /** Process ids of the emulators, for `ps` and for tests that check nothing is left behind. */
  readonly emulatorPids: { readonly kinesis: number; readonly dynamodb: number };
  /** The alert path: its page (and local Function URL) and tables, for `seismo silences|feedback|routes`. */
  readonly alerting?: {
    readonly ackUrl: string;
    readonly tables: {
      readonly state: string;
      readonly log: string;
      readonly control: string;
      readonly feedback: string;
      readonly transitions: string;
    };
  };
}

/** Thrown when the file exists but is not a stack description. */
export class StackInfoError extends Error {
  override readonly name = 'StackInfoError';
}

/** Writes `info` atomically (temp file, then rename) so a reader never sees half a file. */
export async function writeStackInfo(info: StackInfo, file = DEFAULT_STACK_FILE): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(info, null, 2)}\n`);
  await rename(temp, file);
}

/** The stack described in `file`, or undefined when there is no file or its process is gone. */
export async function readLiveStackInfo(file = DEFAULT_STACK_FILE): Promise<StackInfo | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const info = parse(text, file);
  return isAlive(info.pid) ? info : undefined;
}

/** Removes `file` if it still describes the process `pid`; synchronous, so it also works in an `exit` handler. */
export function removeStackInfo(pid: number, file = DEFAULT_STACK_FILE): void {
  try {
    if (parse(readFileSync(file, 'utf8'), file).pid === pid) unlinkSync(file);
  } catch {
    // No file, or one another stack wrote: nothing of ours to remove.
  }
}

function parse(text: string, file: string): StackInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StackInfoError(
      `${file} is not JSON (${(error as Error).message}); delete it and restart npm start`,
    );
  }
  const info = json as Partial<StackInfo>;
  const strings = ['region', 'kinesisEndpoint', 'streamName'] as const;
  if (
    info.version !== 1 ||
    typeof info.pid !== 'number' ||
    strings.some((k) => typeof info[k] !== 'string')
  ) {
    throw new StackInfoError(`${file} is not a Seismo stack description; delete it and restart npm start`);
  }
  return info as StackInfo;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
