import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * An in-process SQS queue driving a Lambda-shaped handler, with the semantics the alerting functions rely on:
 * at-least-once delivery in batches, partial batch responses (failed messages come back, others are deleted),
 * visibility timeouts and ChangeMessageVisibility, receive counts with a redrive to a dead-letter sink, delay,
 * and for FIFO queues message groups (one batch in flight per group, in order) and five-minute deduplication
 * by id. In `auto` mode it runs the handler as messages become visible (the local stack); in `manual` mode
 * only when `pump()` is called, on an injectable clock (tests and the benchmark).
 */

/** What the handler returns; a thrown error or undefined response fails (or passes) the whole batch. */
export type QueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

/** Options of a {@link LocalQueue}. */
export interface LocalQueueOptions {
  readonly name: string;
  readonly fifo?: boolean;
  readonly handler?: QueueHandler;
  /** Messages per invocation; 10 by default (SQS's most per receive, and FIFO's most per batch). */
  readonly batchSize?: number;
  /** How long a received message stays hidden unless the handler changes it; 30 s by default. */
  readonly visibilityTimeoutMs?: number;
  /** Receives before a failing message is moved to `deadLetter`; unbounded when absent. */
  readonly maxReceiveCount?: number;
  readonly deadLetter?: (record: SQSRecord, reason: string) => Promise<void> | void;
  /** Invocations in flight at once (Lambda's concurrency, or the event source's maximumConcurrency). */
  readonly concurrency?: number;
  readonly mode?: 'auto' | 'manual';
  readonly clock?: () => number;
  /** Told of a handler error (it fails the batch, as in Lambda). */
  readonly onError?: (error: unknown) => void;
  /**
   * Asked for each message the handler succeeded on; true loses its delete, so it comes back visible (still
   * first in its group), as SQS redelivers when a delete fails or the visibility timeout ran out. For tests.
   */
  readonly loseDelete?: () => boolean;
}

interface Message {
  readonly id: string;
  readonly body: string;
  readonly groupId: string | undefined;
  readonly dedupId: string | undefined;
  readonly sentAt: number;
  readonly seq: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  receiptHandle: string | undefined;
  inFlight: boolean;
}

/** SQS's FIFO deduplication window. */
const DEDUP_WINDOW_MS = 5 * 60_000;

/** An in-process queue; see the module comment. */
export class LocalQueue {
  private readonly messages: Message[] = [];
  private readonly dedup = new Map<string, number>();
  private seq = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly idle = new Set<() => void>();
  /** Counters, for tests and the terminal. */
  readonly stats = {
    sent: 0,
    deduplicated: 0,
    received: 0,
    deleted: 0,
    deadLettered: 0,
    invocations: 0,
    redelivered: 0,
  };

  constructor(private readonly options: LocalQueueOptions) {}

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  /** Enqueues a message; a FIFO queue drops a repeat of a deduplication id within five minutes. */
  send(
    body: string,
    options: { groupId?: string; dedupId?: string; delayMs?: number } = {},
  ): { messageId: string; deduplicated: boolean } {
    const now = this.now();
    const fifo = this.options.fifo === true;
    if (fifo && !options.groupId) throw new Error(`FIFO queue ${this.options.name} needs a message group id`);
    const dedupId = fifo ? (options.dedupId ?? createHash('sha256').update(body).digest('hex')) : undefined;
    if (dedupId !== undefined) {
      const seen = this.dedup.get(dedupId);
      if (seen !== undefined && now - seen < DEDUP_WINDOW_MS) {
        this.stats.deduplicated += 1;
        return { messageId: randomUUID(), deduplicated: true };
      }
      this.dedup.set(dedupId, now);
    }
    const message: Message = {
      id: randomUUID(),
      body,
      groupId: options.groupId,
      dedupId,
      sentAt: now,
      seq: ++this.seq,
      visibleAt: now + (options.delayMs ?? 0),
      receiveCount: 0,
      firstReceivedAt: undefined,
      receiptHandle: undefined,
      inFlight: false,
    };
    this.messages.push(message);
    this.stats.sent += 1;
    this.wake(options.delayMs ?? 0);
    return { messageId: message.id, deduplicated: false };
  }

  /** SQS ChangeMessageVisibility: the in-flight message comes back `seconds` from now. */
  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle && m.inFlight);
    if (!message)
      throw new Error(
        `ReceiptHandleIsInvalid: no in-flight message ${receiptHandle} on ${this.options.name}`,
      );
    message.visibleAt = this.now() + seconds * 1_000;
  }

  /** Messages not yet deleted: visible, in flight, and waiting (delayed or hidden). */
  get depth(): { readonly total: number; readonly visible: number; readonly inFlight: number } {
    const now = this.now();
    const inFlight = this.messages.filter((m) => m.inFlight).length;
    const visible = this.messages.filter((m) => !m.inFlight && m.visibleAt <= now).length;
    return { total: this.messages.length, visible, inFlight };
  }

  /**
   * The earliest time a waiting message can be received, if any: for a FIFO queue, only the head of each
   * group counts (the rest wait for it), and a group with a message in flight waits for that.
   */
  nextVisibleAt(): number | undefined {
    let waiting = this.messages.filter((m) => !m.inFlight);
    if (this.options.fifo) {
      const heads = new Map<string | undefined, Message>();
      for (const m of [...this.messages].sort((a, b) => a.seq - b.seq))
        if (!heads.has(m.groupId)) heads.set(m.groupId, m);
      waiting = [...heads.values()].filter((m) => !m.inFlight);
    }
    return waiting.length > 0 ? Math.min(...waiting.map((m) => m.visibleAt)) : undefined;
  }

  /**
   * Runs the handler on visible messages until none is left visible now (with `concurrency` invocations at
   * once); returns the invocations made.
   */
  async pump(): Promise<number> {
    let invocations = 0;
    const worker = async () => {
      for (;;) {
        const batch = this.receive();
        if (batch.length === 0) return;
        invocations += 1;
        await this.invoke(batch);
      }
    };
    // Several workers interleave at every await, like containers racing on the same items.
    await Promise.all(Array.from({ length: this.options.concurrency ?? 1 }, worker));
    return invocations;
  }

  /** Resolves when nothing is visible or in flight (delayed messages may remain). */
  async settled(): Promise<void> {
    while (this.running > 0 || this.depth.visible > 0) {
      await new Promise<void>((resolve) => {
        this.idle.add(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }

  /** Stops processing; messages stay where they are. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private wake(delayMs: number): void {
    if (this.options.mode === 'manual' || this.stopped) return;
    if (delayMs <= 0) {
      setImmediate(() => this.loop());
      return;
    }
    const at = this.now() + delayMs;
    if (this.timer) clearTimeout(this.timer);
    const next = Math.min(at, this.nextVisibleAt() ?? at);
    this.timer = setTimeout(() => this.loop(), Math.max(0, next - this.now()));
    this.timer.unref();
  }

  private loop(): void {
    if (this.stopped) return;
    while (this.running < (this.options.concurrency ?? 1)) {
      const batch = this.receive();
      if (batch.length === 0) break;
      this.running += 1;
      this.invoke(batch)
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running -= 1;
          setImmediate(() => this.loop());
        });
    }
    if (this.running === 0) {
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
    const next = this.nextVisibleAt();
    if (next !== undefined && next > this.now()) this.wake(next - this.now());
  }

  private receive(): Message[] {
    const now = this.now();
    const batchSize = this.options.batchSize ?? 10;
    const busyGroups = new Set(this.messages.filter((m) => m.inFlight && m.groupId).map((m) => m.groupId));
    const picked: Message[] = [];
    const blocked = new Set<string>();
    for (const m of [...this.messages].sort((a, b) => a.seq - b.seq)) {
      if (picked.length >= batchSize) break;
      if (m.inFlight) continue;
      if (this.options.fifo && m.groupId) {
        // A group is served in order: nothing after a message that is busy or not yet visible.
        if (busyGroups.has(m.groupId) || blocked.has(m.groupId)) continue;
        if (m.visibleAt > now) {
          blocked.add(m.groupId);
          continue;
        }
      } else if (m.visibleAt > now) continue;
      picked.push(m);
    }
    for (const m of picked) {
      m.inFlight = true;
      m.receiveCount += 1;
      m.firstReceivedAt ??= now;
      m.receiptHandle = randomUUID();
      m.visibleAt = now + (this.options.visibilityTimeoutMs ?? 30_000);
    }
    this.stats.received += picked.length;
    return picked;
  }

  private async invoke(batch: Message[]): Promise<void> {
    const records = batch.map((m) => this.record(m));
    this.stats.invocations += 1;
    let failed: Set<string>;
    let reason = 'the handler reported it failed';
    try {
      const response = this.options.handler ? await this.options.handler({ Records: records }) : undefined;
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      this.options.onError?.(error);
      reason = `the handler threw: ${(error as Error).message}`;
      failed = new Set(batch.map((m) => m.id));
    }
    for (const [i, m] of batch.entries()) {
      m.inFlight = false;
      if (!failed.has(m.id) && this.options.loseDelete?.()) {
        m.visibleAt = this.now();
        this.stats.redelivered += 1;
        continue;
      }
      if (!failed.has(m.id)) {
        this.remove(m);
        this.stats.deleted += 1;
        continue;
      }
      const max = this.options.maxReceiveCount;
      if (max !== undefined && m.receiveCount >= max) {
        this.remove(m);
        this.stats.deadLettered += 1;
        await this.options.deadLetter?.(
          records[i] as SQSRecord,
          `${reason} ${m.receiveCount} times (maxReceiveCount ${max})`,
        );
      }
    }
  }

  private remove(m: Message): void {
    const index = this.messages.indexOf(m);
    if (index >= 0) this.messages.splice(index, 1);
  }

  private record(m: Message): SQSRecord {
    return {
      messageId: m.id,
      receiptHandle: m.receiptHandle ?? '',
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
        ...(m.groupId !== undefined && { MessageGroupId: m.groupId }),
        ...(m.dedupId !== undefined && { MessageDeduplicationId: m.dedupId, SequenceNumber: String(m.seq) }),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.options.name}`,
      awsRegion: 'local',
    };
  }
}
