import { PassThrough } from 'node:stream';
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  formatFailedBatch,
  TerminalDeadLetters,
  TerminalTopic,
  terminalEventSourceLogger,
  terminalLogger,
} from '../../local/terminal-sinks.ts';
import { transition } from '../adapters/fixtures.ts';
import { terminalControlsIn } from '../support/terminal-controls.ts';

/** An attacker's text: clear the screen, retitle the window, forge an alert line, reverse the rest. */
const HOSTILE = 'x\x1b[2J\x1b]0;pwned\x07\r\n▲ OPENED    prod-db\u009b31m\u0085\u2028\u202Eevil';

function terminal(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** The lines printed, each checked to carry nothing that steers a terminal (colour is off in these tests). */
function plainLines(text: string): string[] {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  for (const line of lines) expect(terminalControlsIn(line), line).toEqual([]);
  return lines;
}

const hostileTransition = transition({
  series: HOSTILE,
  startedAt: Date.UTC(2026, 0, 1),
  lastSeenAt: Date.UTC(2026, 0, 1),
  topFeatures: [{ name: 'z_long', value: 4 }],
});

describe('terminal sinks', () => {
  it('print a dead letter with a hostile partition key and reason as one escaped line', async () => {
    // Prepare
    const { out, text } = terminal();
    const sink = new TerminalDeadLetters({ out, color: false });

    // Act
    await sink.send([{ reason: HOSTILE, data: '', sequenceNumber: '49\r1', partitionKey: HOSTILE }]);

    // Assess
    const lines = plainLines(text());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('partition key x\\x1b[2J\\x1b]0;pwned\\x07\\r\\n▲ OPENED    prod-db\\x9b31m');
    expect(lines[0]).toContain('record 49\\r1');
    expect(sink.entries[0]?.partitionKey).toBe(HOSTILE);
  });

  it('print an alert for a hostile series name as one escaped line, colour codes only its own', async () => {
    // Prepare
    const { out, text } = terminal();
    const colored = terminal();
    const topic = new TerminalTopic({ out, color: false });
    const coloredTopic = new TerminalTopic({ out: colored.out, color: true });
    const command = new PublishBatchCommand({
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:seismo-anomalies',
      PublishBatchRequestEntries: [{ Id: '1', Message: JSON.stringify(hostileTransition) }],
    });

    // Act
    await topic.send(command);
    await coloredTopic.send(command);

    // Assess
    const lines = plainLines(text());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^▲ OPENED {4}x\\x1b\[2J/);
    expect(lines[0]).toContain('\\u202eevil at 2026-01-01T00:00:00Z');
    const ownColours = ['\x1b[0m', '\x1b[1m', '\x1b[2m', '\x1b[31m'];
    const uncoloured = ownColours.reduce((t, code) => t.replaceAll(code, ''), colored.text());
    expect(terminalControlsIn(uncoloured)).toEqual(['U+000A']);
    expect(uncoloured).toBe(text());
  });

  it('print the on-failure line, event-source and handler logs as one escaped line each', () => {
    // Prepare
    const { out, text } = terminal();
    const failed = {
      shardId: 'shardId-000000000000',
      reason: `item failure: ${HOSTILE}`,
      attempts: 3,
      records: [{} as KinesisStreamRecord],
    };

    // Act
    out.write(`${formatFailedBatch(failed)}\n`);
    terminalEventSourceLogger(out).warn(`event source: ${HOSTILE}`);
    terminalEventSourceLogger(out).error(HOSTILE);
    terminalLogger(out).warn(HOSTILE, { series: HOSTILE });
    terminalLogger(out).error('store failed', { error: new Error(HOSTILE) });
    terminalLogger(out).error('store failed', new Error(`multi\nline ${HOSTILE}`));

    // Assess
    const lines = plainLines(text());
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(
      /^on-failure: 1 record\(s\) of shardId-000000000000 skipped: item failure: x\\x1b/,
    );
    expect(lines[3]).toMatch(/^detect warning: x\\x1b\[2J/);
    expect(lines[5]).toContain('multi\\nline');
  });
});
