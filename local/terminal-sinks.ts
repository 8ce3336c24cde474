import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { PublishBatchCommand, PublishBatchCommandOutput } from '@aws-sdk/client-sns';
import type { AlertMessage, SnsPublishBatchClient } from '../adapters/sns-alert-publisher.ts';
import { formatProbability } from '../core/alerting/render/format.ts';
import type { EpisodeTransition } from '../core/detection-types.ts';
import { SINGLE_CHANNEL } from '../core/events/event-schema.ts';
import type { DeadLetter, DeadLetterSink, DetectHandlerDeps } from '../functions/detect/detect-handler.ts';
import type { EventSourceLogger, FailedBatch } from './event-source.ts';
import { escapeForTerminal } from './terminal-escape.ts';

/**
 * Where the local stack's outputs go instead of SNS subscribers, SQS and CloudWatch Logs: the terminal.
 * Alerts and dead letters are printed as they happen and kept in memory for the HTTP endpoint and the tests.
 * Every piece of text that can come from the stream (series names, partition keys, reasons, error messages)
 * goes through {@link escapeForTerminal}, so one line printed is one line of plain text.
 */

/** How a terminal sink writes: the stream and whether to colour it (on a TTY). */
export interface TerminalOptions {
  readonly out: Writable;
  readonly color: boolean;
}

const ANSI = { red: 31, green: 32, yellow: 33, magenta: 35, dim: 2, bold: 1 } as const;
type Style = keyof typeof ANSI;

/**
 * The local stack's "anomalies" topic: the real {@link SnsAlertPublisher} publishes to it (message
 * attributes, batches of ten, the publish ledger), and it prints each message as a subscriber would receive
 * it, one line per episode transition.
 */
export class TerminalTopic implements SnsPublishBatchClient {
  private readonly received: AlertMessage[] = [];
  private readonly subscribers: ((message: AlertMessage) => void)[] = [];

  constructor(private readonly options: TerminalOptions) {}

  /** Also delivers every message to `subscriber`, as an SNS subscription would (the local alert router's queue). */
  subscribe(subscriber: (message: AlertMessage) => void): void {
    this.subscribers.push(subscriber);
  }

  async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
    const entries = command.input.PublishBatchRequestEntries ?? [];
    for (const entry of entries) {
      const message = JSON.parse(entry.Message ?? '{}') as AlertMessage;
      this.options.out.write(`${formatTransition(message, this.options.color)}\n`);
      this.received.push(message);
      for (const subscriber of this.subscribers) subscriber(message);
    }
    return {
      Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: randomUUID() })),
      Failed: [],
      $metadata: {},
    };
  }

  /** Messages received so far, oldest first. */
  get transitions(): readonly AlertMessage[] {
    return this.received;
  }
}

/** {@link DeadLetterSink} that prints each rejected record's reason and keeps the records. */
export class TerminalDeadLetters implements DeadLetterSink {
  private readonly kept: DeadLetter[] = [];

  constructor(private readonly options: TerminalOptions) {}

  async send(entries: readonly DeadLetter[]): Promise<void> {
    for (const entry of entries) {
      const where = `record ${escapeForTerminal(entry.sequenceNumber)} (partition key ${escapeForTerminal(entry.partitionKey)})`;
      this.options.out.write(
        `${paint('dead letter', 'yellow', this.options.color)} ${where}: ${escapeForTerminal(entry.reason)}\n`,
      );
      this.kept.push(entry);
    }
  }

  /** Records rejected so far, oldest first. */
  get entries(): readonly DeadLetter[] {
    return this.kept;
  }
}

/** One line for a person: kind, series, value against the expected range, probability, severity, drivers. */
export function formatTransition(t: EpisodeTransition, color: boolean): string {
  const at = isoSeconds(t.lastSeenAt);
  const name = t.channel === SINGLE_CHANNEL ? t.series : `${t.series} · ${t.channel}`;
  const series = paint(escapeForTerminal(name), 'bold', color);
  const p = formatProbability(t.peakProbability);
  if (t.kind === 'resolved') {
    const minutes = Math.max(0, Math.round((t.lastSeenAt - t.startedAt) / 60_000));
    return `${paint('✓ RESOLVED ', 'green', color)} ${series} at ${at} after ${minutes} min (peak ${p})`;
  }
  const label =
    t.kind === 'opened' ? paint('▲ OPENED   ', 'red', color) : paint('▲ ESCALATED', 'magenta', color);
  const severity = t.severity === 'critical' ? paint('critical', 'red', color) : 'warning';
  const expected = `expected ${round(t.expected.low)}..${round(t.expected.high)}`;
  const drivers = t.topFeatures.map((f) => `${escapeForTerminal(f.name)} ${f.value.toFixed(1)}`).join(', ');
  return `${label} ${series} at ${at}: value ${round(t.value)}, ${expected}, ${p}, ${severity}${paint(` (top features: ${drivers})`, 'dim', color)}`;
}

/** The on-failure line: records the event source gave up on after its retries, and why. */
export function formatFailedBatch(failed: FailedBatch): string {
  return escapeForTerminal(
    `on-failure: ${failed.records.length} record(s) of ${failed.shardId} skipped: ${failed.reason}`,
  );
}

/** The event source's warnings and errors on the terminal, one line each. */
export function terminalEventSourceLogger(out: Writable): EventSourceLogger {
  const line = (message: string) => out.write(`${escapeForTerminal(message)}\n`);
  return { warn: line, error: line };
}

/** The detect handler's logger on the terminal: warnings and errors only, one line each. */
export function terminalLogger(out: Writable): NonNullable<DetectHandlerDeps['logger']> {
  const line =
    (level: string) =>
    (message: unknown, ...extra: unknown[]) => {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      const details = extra
        .map((e) => (e instanceof Error ? e.message : JSON.stringify(e, errorFields)))
        .join(' ');
      out.write(`detect ${level}: ${escapeForTerminal(`${text}${details ? ` ${details}` : ''}`)}\n`);
    };
  return { info: () => {}, warn: line('warning'), error: line('error') };
}

function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}

function paint(text: string, style: Style, color: boolean): string {
  return color ? `\x1b[${ANSI[style]}m${text}\x1b[0m` : text;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}
