import { z } from 'zod';
import type { Timer } from './incident-types.ts';

/**
 * The payload of a scheduled timer as the escalator receives it (EventBridge Scheduler's target input, or
 * the local scheduler's call): `{"timer": Timer}`. Validated, since a schedule outlives deploys.
 */

const at = z.number().finite();
const stateKey = z.string().min(1).max(512);
const incidentId = z.string().regex(/^inc-[0-9a-f]{24}$/);

/** zod schema of a {@link Timer}. */
export const timerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('flush'), stateKey, incidentId, at }),
  z.object({ type: z.literal('repeat'), stateKey, incidentId, at }),
  z.object({ type: z.literal('escalate'), stateKey, incidentId, step: z.number().int().min(1), at }),
  z.object({ type: z.literal('digest'), routeId: z.string().min(1), at }),
  z.object({ type: z.literal('silence-reminder'), silenceId: z.string().min(1), at }),
]);

/** The schedule's input: the timer, under one key so the envelope can grow. */
export interface TimerPayload {
  readonly timer: Timer;
}

/** Thrown for a payload that is not a timer; names each field and rule. */
export class InvalidTimerError extends Error {
  override readonly name = 'InvalidTimerError';
}

/** Validates a timer payload (an object, or its JSON text). */
export function parseTimerPayload(input: unknown): TimerPayload {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new InvalidTimerError(`timer payload is not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = z.object({ timer: timerSchema }).safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
    throw new InvalidTimerError(`not a timer payload: ${issues.join('; ')}`);
  }
  return parsed.data as TimerPayload;
}
