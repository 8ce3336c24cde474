import { randomUUID } from 'node:crypto';
import type { PublishBatchCommand, PublishBatchCommandOutput } from '@aws-sdk/client-sns';
import type { AlertMessage, SnsPublishBatchClient } from '../../adapters/sns-alert-publisher.ts';
import type { FaultPlan } from './fault-injection.ts';

/**
 * An SNS topic for tests that keeps every message it accepted, as subscribers would receive them, counts
 * duplicates instead of hiding them, and can fail entries (as SNS's PublishBatch reports them) or whole calls,
 * on command or at random from a {@link FaultPlan}: a call that fails outright, an entry refused, and a call
 * whose response is lost after SNS accepted it (the one SNS failure that duplicates messages).
 */
export class FlakySns implements SnsPublishBatchClient {
  readonly delivered: AlertMessage[] = [];
  private readonly counts = new Map<string, number>();
  private failEntries: number;
  private failCalls: number;

  private readonly plan: FaultPlan | undefined;

  constructor(options: { failEntries?: number; failCalls?: number; plan?: FaultPlan } = {}) {
    this.failEntries = options.failEntries ?? 0;
    this.failCalls = options.failCalls ?? 0;
    this.plan = options.plan;
  }

  /** Makes the next `n` entries fail (retryable, as an internal error). */
  failNextEntries(n: number): void {
    this.failEntries += n;
  }

  /** Makes the next `n` calls throw. */
  failNextCalls(n: number): void {
    this.failCalls += n;
  }

  async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
    if (this.failCalls > 0 || this.plan?.fires('sns-call')) {
      this.failCalls = Math.max(0, this.failCalls - 1);
      throw unavailable();
    }
    const lostResponse = this.plan?.fires('sns-lost-response') ?? false;
    const entries = command.input.PublishBatchRequestEntries ?? [];
    const output: PublishBatchCommandOutput = { Successful: [], Failed: [], $metadata: {} };
    for (const entry of entries) {
      if (this.failEntries > 0 || this.plan?.fires('sns-entry')) {
        this.failEntries = Math.max(0, this.failEntries - 1);
        output.Failed?.push({ Id: entry.Id, Code: 'InternalError', SenderFault: false, Message: 'injected' });
        continue;
      }
      const message = JSON.parse(entry.Message ?? '{}') as AlertMessage;
      this.delivered.push(message);
      this.counts.set(message.id, (this.counts.get(message.id) ?? 0) + 1);
      output.Successful?.push({ Id: entry.Id, MessageId: randomUUID() });
    }
    if (lostResponse) throw unavailable();
    return output;
  }

  /** Messages delivered beyond the first of each transition id. */
  get duplicates(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count - 1;
    return n;
  }
}

function unavailable(): Error {
  return Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException', $retryable: {} });
}
