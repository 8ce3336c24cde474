import type { LookupFunction } from 'node:net';
import { generateWebhookSecret } from '../../../adapters/alerting/webhook-transport.ts';

/** A fresh Standard Webhooks secret. */
export const secret = generateWebhookSecret;

/**
 * A DNS lookup that answers `answers` in turn (the last one from then on) and records each question: a
 * resolver controlled by whoever owns the name, as in a DNS rebinding attack.
 */
export function scriptedLookup(...answers: string[]): { lookup: LookupFunction; questions: string[] } {
  const questions: string[] = [];
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const address = answers[Math.min(questions.length, answers.length - 1)] ?? '127.0.0.1';
    questions.push(hostname);
    const family = address.includes(':') ? 6 : 4;
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
  return { lookup, questions };
}
