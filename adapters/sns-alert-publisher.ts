import { createHash } from 'node:crypto';
import {
  PublishBatchCommand,
  type PublishBatchCommandOutput,
  type PublishBatchRequestEntry,
} from '@aws-sdk/client-sns';
import type { EpisodeTransition } from '../core/detection-types.ts';
import type { AlertPublisher } from '../core/ports.ts';
import { isRetryableAwsError } from './aws-errors.ts';
import { type BackoffOptions, backoffDelay, resolveBackoff } from './backoff.ts';
import { mapConcurrent } from './concurrency.ts';
import { type PublishLedger, transitionId } from './publish-ledger.ts';

/** The one SNS call the publisher makes; an `SNSClient` is one, and so is the local stack's in-process topic. */
export interface SnsPublishBatchClient {
  send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput>;
}

/** SNS's limit on entries per PublishBatch call. */
export const SNS_MAX_BATCH = 10;

/** Topic and retry behaviour of the SNS publisher. */
export interface SnsAlertPublisherOptions {
  /** The "anomalies" topic; a `.fifo` topic gets group (series) and deduplication ids. */
  readonly topicArn: string;
  /** Retries of failed entries and of throttled or 5xx calls. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Ledger calls in flight at once; 10 by default. */
  readonly ledgerConcurrency?: number;
}

/** A transition SNS did not accept, with SNS's code and message. */
export interface FailedTransition {
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

/**
 * Thrown when transitions could not be published after every attempt (`failed`), or were published but the
 * ledger could not record it (`unrecorded`: a retry will publish them again). Successful ones are not affected.
 */
export class AlertPublishError extends Error {
  override readonly name = 'AlertPublishError';
  constructor(
    readonly topicArn: string,
    readonly failed: readonly FailedTransition[],
    readonly unrecorded: readonly string[],
    options?: ErrorOptions,
  ) {
    const parts: string[] = [];
    if (failed.length > 0) {
      const shown = failed.map((f) => `${f.id} (${f.code}: ${f.message})`).join(', ');
      parts.push(`${failed.length} transition(s) not published to ${topicArn}: ${shown}`);
    }
    if (unrecorded.length > 0) {
      parts.push(`${unrecorded.length} published but not recorded in the ledger: ${unrecorded.join(', ')}`);
    }
    super(parts.join('; '), options);
  }
}

/** The JSON body of each SNS message: the transition, its id, and a line a person can read at a glance. */
export interface AlertMessage extends EpisodeTransition {
  readonly id: string;
  readonly summary: string;
}

/**
 * {@link AlertPublisher} on SNS PublishBatch, with message attributes severity, series, kind and tenant for
 * subscription filter policies. Each transition is claimed in the ledger ('pending') before publishing and
 * marked 'sent' after SNS accepts it, and only 'sent' ones are skipped: an attempt that dies between the two
 * is published again by the retry, so a transition may be duplicated in that rare case but is never lost.
 */
export class SnsAlertPublisher implements AlertPublisher {
  private readonly backoff: BackoffOptions;
  private readonly fifo: boolean;

  constructor(
    private readonly client: SnsPublishBatchClient,
    private readonly ledger: PublishLedger,
    private readonly options: SnsAlertPublisherOptions,
  ) {
    this.backoff = resolveBackoff(options.backoff);
    this.fifo = options.topicArn.endsWith('.fifo');
  }

  async publish(transitions: readonly EpisodeTransition[]): Promise<void> {
    const unique = new Map<string, EpisodeTransition>();
    for (const transition of transitions) unique.set(transitionId(transition), transition);
    const concurrency = this.options.ledgerConcurrency ?? 10;
    const claimed = await mapConcurrent([...unique], concurrency, async ([id]) => this.ledger.claim(id));
    const toSend = [...unique.values()].filter((_, i) => claimed[i]);

    const failed: FailedTransition[] = [];
    const sent: string[] = [];
    for (let i = 0; i < toSend.length; i += SNS_MAX_BATCH) {
      const result = await this.publishBatch(toSend.slice(i, i + SNS_MAX_BATCH));
      failed.push(...result.failed);
      sent.push(...result.sent);
    }

    const unrecorded: string[] = [];
    let markError: unknown;
    await mapConcurrent(sent, concurrency, async (id) => {
      try {
        await this.ledger.markSent(id);
      } catch (error) {
        unrecorded.push(id);
        markError ??= error;
      }
    });
    if (failed.length > 0 || unrecorded.length > 0) {
      throw new AlertPublishError(
        this.options.topicArn,
        failed,
        unrecorded,
        markError === undefined ? undefined : { cause: markError },
      );
    }
  }

  /** Publishes up to ten transitions, retrying failed entries; returns the ids sent and those still failing. */
  private async publishBatch(
    transitions: readonly EpisodeTransition[],
  ): Promise<{ sent: string[]; failed: FailedTransition[] }> {
    // Entry ids only need to be unique within one call; SNS allows [A-Za-z0-9_-]{1,80}.
    const pending = new Map(transitions.map((t, i) => [`t${i}`, t]));
    const sent: string[] = [];
    const failed: FailedTransition[] = [];
    let lastFailures = new Map<string, FailedTransition>();

    for (let attempt = 1; pending.size > 0 && attempt <= this.backoff.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff.sleep(backoffDelay(attempt - 2, this.backoff));
      let response: PublishBatchCommandOutput;
      try {
        response = await this.client.send(
          new PublishBatchCommand({
            TopicArn: this.options.topicArn,
            PublishBatchRequestEntries: [...pending].map(([entryId, t]) => this.entry(entryId, t)),
          }),
        );
      } catch (error) {
        const code = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        lastFailures = new Map([...pending].map(([entryId, t]) => [entryId, failure(t, code, message)]));
        if (isRetryableAwsError(error)) continue;
        break;
      }
      for (const success of response.Successful ?? []) {
        const transition = success.Id === undefined ? undefined : pending.get(success.Id);
        if (!transition || !success.Id) continue;
        sent.push(transitionId(transition));
        pending.delete(success.Id);
      }
      lastFailures = new Map();
      for (const entry of response.Failed ?? []) {
        const transition = entry.Id === undefined ? undefined : pending.get(entry.Id);
        if (!transition || !entry.Id) continue;
        const reason = failure(transition, entry.Code ?? 'Unknown', entry.Message ?? '');
        // A sender fault (bad parameter, message too large) fails the same way again: report it now.
        if (entry.SenderFault) {
          failed.push(reason);
          pending.delete(entry.Id);
        } else {
          lastFailures.set(entry.Id, reason);
        }
      }
    }
    for (const [entryId, transition] of pending) {
      failed.push(lastFailures.get(entryId) ?? failure(transition, 'Unknown', 'no answer from SNS'));
    }
    return { sent, failed };
  }

  private entry(entryId: string, transition: EpisodeTransition): PublishBatchRequestEntry {
    const id = transitionId(transition);
    const message: AlertMessage = { ...transition, id, summary: summarize(transition) };
    const tenant = transition.dimensions.tenant || 'default';
    return {
      Id: entryId,
      Message: JSON.stringify(message),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: transition.severity },
        series: { DataType: 'String', StringValue: transition.series },
        kind: { DataType: 'String', StringValue: transition.kind },
        tenant: { DataType: 'String', StringValue: tenant },
      },
      ...(this.fifo && {
        MessageGroupId: transition.series.slice(0, 128),
        MessageDeduplicationId: createHash('sha256').update(id).digest('hex'),
      }),
    };
  }
}

/** One line for a person: severity, what happened to which series, the value against its expected range. */
export function summarize(t: EpisodeTransition): string {
  const peak = `peak probability ${round(t.peakProbability)}`;
  if (t.kind === 'resolved') {
    const minutes = Math.max(0, Math.round((t.lastSeenAt - t.startedAt) / 60_000));
    return `[${t.severity.toUpperCase()}] anomaly on ${t.series} resolved after ${minutes} min (${peak})`;
  }
  const range = `expected ${round(t.expected.low)} to ${round(t.expected.high)}`;
  return `[${t.severity.toUpperCase()}] anomaly ${t.kind} on ${t.series}: value ${round(t.value)}, ${range} (${peak})`;
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}

function failure(t: EpisodeTransition, code: string, message: string): FailedTransition {
  return { id: transitionId(t), code, message };
}
