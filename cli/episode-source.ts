import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DynamoDbTransitionLog } from '../adapters/alerting/dynamodb-transition-log.ts';
import {
  type AlertTransition,
  InvalidTransitionError,
  parseAlertTransition,
} from '../core/alerting/alert-transition.ts';
import type { AlertTable } from './alert-tables.ts';
import { CliError } from './command.ts';

/**
 * Where `seismo routes replay` reads past episode transitions from: a JSON Lines file, or the transitions
 * table the router records every transition in (deployed or local), through the same interface.
 */

/** A time window in epoch ms, `from` inclusive, `to` exclusive, on the transition's last point seen. */
export interface ReplayWindow {
  readonly from: number;
  readonly to: number;
}

/** A line or record that could not be read, reported and skipped. */
export interface SkippedRecord {
  readonly where: string;
  readonly reason: string;
}

/** A source of stored episode transitions. */
export interface EpisodeSource {
  /** For messages: "episodes.jsonl", "table seismo-episodes". */
  readonly description: string;
  /** The transitions whose last point falls in the window, in any order; unreadable ones go to `skipped`. */
  read(window: ReplayWindow, skipped: (record: SkippedRecord) => void): AsyncIterable<AlertTransition>;
}

/**
 * A JSON Lines file of transitions: one `AlertMessage` (the SNS message body) per line, or a whole SNS
 * notification whose `Message` is one. Blank lines are ignored.
 */
export class JsonLinesEpisodeSource implements EpisodeSource {
  constructor(readonly path: string) {}

  get description(): string {
    return this.path;
  }

  async *read(
    window: ReplayWindow,
    skipped: (record: SkippedRecord) => void,
  ): AsyncIterable<AlertTransition> {
    const input = createReadStream(this.path, 'utf8');
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    try {
      for await (const line of lines) {
        n += 1;
        if (line.trim() === '') continue;
        let transition: AlertTransition;
        try {
          transition = parseAlertTransition(unwrapSns(line));
        } catch (error) {
          if (!(error instanceof InvalidTransitionError)) throw error;
          skipped({ where: `${this.path}:${n}`, reason: error.message });
          continue;
        }
        if (transition.lastSeenAt >= window.from && transition.lastSeenAt < window.to) yield transition;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code)
        throw new CliError(`cannot read ${this.path}: ${(error as Error).message}`);
      throw error;
    } finally {
      input.destroy();
    }
  }
}

function unwrapSns(line: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof json === 'object' && json !== null && (json as { Type?: unknown }).Type === 'Notification') {
    const message = (json as { Message?: unknown }).Message;
    if (typeof message === 'string') return message;
  }
  return json;
}

/** The transitions table the router writes (one Query per UTC day of the window). */
export class TableEpisodeSource implements EpisodeSource {
  private readonly log: DynamoDbTransitionLog;

  constructor(readonly table: AlertTable) {
    this.log = new DynamoDbTransitionLog(table.client, { tableName: table.tableName });
  }

  get description(): string {
    return this.table.description;
  }

  read(window: ReplayWindow, skipped: (record: SkippedRecord) => void): AsyncIterable<AlertTransition> {
    return this.log.read(window.from, window.to, skipped);
  }
}
