import type { Writable } from 'node:stream';
import { formatDuration, formatInstant } from '../core/alerting/render/format.ts';
import type { AlertingLogger } from '../functions/alerting/deps.ts';
import type { TimerChange } from './local-scheduler.ts';
import { escapeForTerminal } from './terminal-escape.ts';

/** Where and how the local alerting lines are written. */
export interface AlertingTerminal {
  readonly out: Writable;
  readonly color: boolean;
}

const paint = (t: AlertingTerminal, code: number, text: string) =>
  t.color ? `\x1b[${code}m${text}\x1b[0m` : text;

/** The alerting functions' logger on the terminal: warnings and errors, one escaped line each. */
export function alertingLogger(terminal: AlertingTerminal): AlertingLogger {
  const line =
    (level: string) =>
    (message: unknown, ...extra: unknown[]) => {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      const details = extra.map((e) => (e instanceof Error ? e.message : JSON.stringify(e))).join(' ');
      terminal.out.write(
        `${paint(terminal, 33, `alerting ${level}`)}: ${escapeForTerminal(`${text}${details ? ` ${details}` : ''}`)}\n`,
      );
    };
  return { info: () => {}, warn: line('warning'), error: line('error') } as unknown as AlertingLogger;
}

/** A message given up on, and why. */
export function printDeadLetter(terminal: AlertingTerminal, where: string, reason: string): void {
  terminal.out.write(`${paint(terminal, 33, `dead letter (${where})`)}: ${escapeForTerminal(reason)}\n`);
}

const NAMES: Readonly<Record<string, string>> = {
  escalate: 'escalation',
  repeat: 'reminder',
  digest: 'digest',
  'silence-reminder': 'silence reminder',
};

/**
 * Timers people wait for, as they are planned, cancelled (an acknowledge stops an escalation) and fired;
 * group flushes are left out (their notifications show as deliveries).
 */
export function printTimerChange(terminal: AlertingTerminal, change: TimerChange, now: number): void {
  const name = NAMES[change.timer.type];
  if (!name) return;
  const t = change.timer;
  const about =
    'incidentId' in t
      ? ` of ${t.incidentId}`
      : 'routeId' in t
        ? ` of route ${t.routeId}`
        : ` of ${t.silenceId}`;
  const step = t.type === 'escalate' ? ` step ${t.step}` : '';
  const text =
    change.kind === 'scheduled'
      ? `${name}${step}${about} due ${formatInstant(t.at)} (in ${formatDuration(Math.max(0, t.at - now))})`
      : change.kind === 'cancelled'
        ? `${name}${step}${about} cancelled`
        : `${name}${step}${about} fired: ${String((change.outcome as { outcome?: string } | undefined)?.outcome ?? change.outcome)}`;
  terminal.out.write(`${paint(terminal, 36, '⏱')} ${escapeForTerminal(text)}\n`);
}
