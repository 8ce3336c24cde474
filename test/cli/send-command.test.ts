import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';
import { sendJsonLines } from '../../cli/send-command.ts';
import type { MeasurementEvent } from '../../core/events/event-schema.ts';
import { decodeBatch } from '../../functions/detect/decode-records.ts';
import { type Emulator, localKinesisClient, startKinesisMock } from '../../local/emulators.ts';
import { createStream } from '../../local/stack.ts';
import { record } from '../support/kinesis-records.ts';

function memoryIo(): { io: CliIo; stderr: () => string } {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    io: { stdout: new PassThrough(), stderr, stderrIsTty: false },
    stderr: () => Buffer.concat(chunks).toString(),
  };
}

// An hour ago, so no event is ahead of the clock; one per second per series.
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;

function eventLines(n: number, series = 3): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ series: `svc-${i % series}`, timestamp: T0 + Math.floor(i / series) * 1000, value: i }),
  );
}

/** The values of each series in the order the lines hold them. */
function sentBySeries(lines: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const line of lines) {
    const { series, value } = JSON.parse(line) as { series: string; value: number };
    out[series] = [...(out[series] ?? []), value];
  }
  return out;
}

describe('seismo send against kinesis-mock', () => {
  let kinesisMock: Emulator;
  let client: KinesisClient;
  let dir: string;
  let run = 0;

  beforeAll(async () => {
    kinesisMock = await startKinesisMock();
    client = localKinesisClient(kinesisMock.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'seismo-send-'));
  });

  afterAll(async () => {
    client?.destroy();
    await kinesisMock?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function newStream(shards = 2): Promise<string> {
    const name = `send-${process.pid}-${++run}`;
    await createStream(client, name, shards);
    return name;
  }

  /** Every event on the stream, de-aggregated as the detector does, with the number of Kinesis records. */
  async function readAll(streamName: string): Promise<{ events: MeasurementEvent[]; records: number }> {
    const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
    const events: MeasurementEvent[] = [];
    let records = 0;
    for (const shard of shards) {
      let { ShardIterator: iterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (iterator) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const got = page.Records ?? [];
        records += got.length;
        const batch = got.map((r, i) =>
          record(Buffer.from(r.Data as Uint8Array), r.PartitionKey as string, i),
        );
        const decoded = decodeBatch(batch);
        expect(decoded.rejected).toEqual([]);
        events.push(...decoded.accepted.map((a) => a.event));
        iterator = got.length === 0 ? undefined : page.NextShardIterator;
      }
    }
    return { events, records };
  }

  function bySeries(events: readonly MeasurementEvent[]): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const e of events) {
      const list = out[e.series] ?? [];
      list.push(e.values.value as number);
      out[e.series] = list;
    }
    return out;
  }

  it('sends every valid line keyed by series, in order per series, and names the lines it did not send', async () => {
    // Prepare: 1,200 events, a blank line, a line that is not JSON and one that breaks the schema.
    const streamName = await newStream();
    const lines = eventLines(1200);
    lines.splice(2, 0, '{"series": "svc-0", "timestamp": ');
    lines.splice(4, 0, JSON.stringify({ series: 'svc-1', timestamp: T0 / 1000, value: 1 }));
    lines.splice(6, 0, '   ');
    const file = join(dir, 'events.jsonl');
    await writeFile(file, `${lines.join('\r\n')}\r\n`);
    const { io, stderr } = memoryIo();

    // Act
    const code = await main(['send', file, '--stream', streamName, '--endpoint', kinesisMock.endpoint], io);

    // Assess
    expect(code).toBe(1);
    expect(stderr()).toMatch(/^line 3: not JSON \(.*\); not sent$/m);
    expect(stderr()).toMatch(/^line 5: invalid event: timestamp: looks like epoch seconds.*; not sent$/m);
    expect(stderr()).toContain('sent 1,200 of 1,202 event lines from');
    expect(stderr()).toContain('not sent: 2 bad lines (invalid events)');
    const { events } = await readAll(streamName);
    expect(bySeries(events)).toEqual(sentBySeries(eventLines(1200)));
  });

  it('reads standard input and KPL-aggregates per series into far fewer records', async () => {
    // Prepare
    const streamName = await newStream();
    const stdin = Readable.from([`${eventLines(3000, 5).join('\n')}\n`]);
    const { io } = memoryIo();
    const target = { client, streamName, description: `stream ${streamName}` };

    // Act
    const summary = await sendJsonLines({ file: '-', aggregate: true, stdin }, target, io);

    // Assess
    expect(summary).toMatchObject({ lines: 3000, sent: 3000, badLines: 0, failed: 0 });
    expect(summary.records).toBeLessThanOrEqual(10);
    const { events, records } = await readAll(streamName);
    expect(records).toBe(summary.records);
    expect(bySeries(events)).toEqual(sentBySeries(eventLines(3000, 5)));
  });

  it('checks without sending on --dry-run, and exits 0 when every line is valid', async () => {
    // Prepare
    const file = join(dir, 'dry.jsonl');
    await writeFile(file, `${eventLines(10).join('\n')}\n`);
    const { io, stderr } = memoryIo();

    // Act: no stack file and no --stream, so any attempt to send would fail.
    const code = await main(['send', file, '--dry-run'], io);

    // Assess
    expect(code).toBe(0);
    expect(stderr()).toContain('checked 10 event lines of');
    expect(stderr()).toContain('10 valid, 0 bad (dry run: nothing sent)');
  });

  it('reports progress on a large input, redrawn in place on a terminal and as lines in a log', async () => {
    // Prepare
    const file = join(dir, 'large.jsonl');
    await writeFile(file, `${eventLines(2_000).join('\n')}\n`);
    const terminal = memoryIo();
    const log = memoryIo();

    // Act
    await sendJsonLines({ file, dryRun: true, progressQuietMs: 0 }, undefined, {
      ...terminal.io,
      stderrIsTty: true,
    });
    await sendJsonLines({ file, dryRun: true, progressQuietMs: 0 }, undefined, log.io);

    // Assess: the first batch is reported at once, with the share of the file read; the line is cleared at the end.
    const redraw = '\r\x1b[K';
    expect(terminal.stderr().startsWith(redraw)).toBe(true);
    expect(terminal.stderr().slice(redraw.length)).toMatch(
      /^checked 500 events, [\d,]+ events\/s, 2\d% of the file/,
    );
    expect(terminal.stderr().endsWith(redraw)).toBe(true);
    expect(log.stderr()).toMatch(/^checked 500 events, [\d,]+ events\/s, 2\d% of the file\n/);
  });

  it('stops at a missing stream and says so, exit 1', async () => {
    // Prepare
    const file = join(dir, 'nowhere.jsonl');
    await writeFile(file, `${eventLines(1500).join('\n')}\n`);
    const { io, stderr } = memoryIo();

    // Act
    const code = await main(
      ['send', file, '--stream', 'no-such-stream', '--endpoint', kinesisMock.endpoint],
      io,
    );

    // Assess
    expect(code).toBe(1);
    expect(stderr()).toContain('sent 0 of 500 event lines');
    expect(stderr()).toMatch(
      /not sent: 500 events the stream refused after every retry \(ResourceNotFoundException ×500\)/,
    );
    expect(stderr()).toMatch(
      /stopped early, the rest of the input was not read: ResourceNotFoundException: stream no-such-stream does not exist/,
    );
  });

  it('refuses an empty input and a file that is not there', async () => {
    // Prepare
    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '\n\n');
    const first = memoryIo();
    const second = memoryIo();

    // Act
    const emptyCode = await main(['send', empty, '--dry-run'], first.io);
    const missingCode = await main(['send', join(dir, 'absent.jsonl'), '--dry-run'], second.io);

    // Assess
    expect(emptyCode).toBe(1);
    expect(first.stderr()).toContain('holds no events');
    expect(missingCode).toBe(1);
    expect(second.stderr()).toMatch(/absent\.jsonl/);
  });
});
