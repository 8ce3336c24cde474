import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonLines, type Line } from '../../cli/jsonl-lines.ts';

async function collect(chunks: readonly (string | Buffer)[], maxBytes?: number): Promise<Line[]> {
  const lines: Line[] = [];
  for await (const line of jsonLines(Readable.from(chunks), maxBytes)) lines.push(line);
  return lines;
}

describe('jsonLines', () => {
  it('numbers lines split across chunks, drops \\r, counts bytes and keeps a last line without newline', async () => {
    // Act
    const lines = await collect(['{"a"', ':1}\r\n\n{"b":2', '}\n', Buffer.from('{"é":3}')]);

    // Assess
    expect(lines.map((l) => [l.number, l.text])).toEqual([
      [1, '{"a":1}'],
      [2, ''],
      [3, '{"b":2}'],
      [4, '{"é":3}'],
    ]);
    expect(lines.map((l) => l.bytesRead)).toEqual([9, 10, 18, 26]);
  });

  it('reports a line over the limit by its size without holding it, and goes on', async () => {
    // Prepare: a 100 kB line in 1 kB chunks between two short ones.
    const chunks = ['ok\n', ...Array.from({ length: 100 }, () => 'x'.repeat(1000)), '\nnext\n'];

    // Act
    const lines = await collect(chunks, 64 * 1024);

    // Assess
    expect(lines).toEqual([
      { number: 1, text: 'ok', bytesRead: 3 },
      { number: 2, text: '', bytesRead: 100_004, tooLong: 100_000 },
      { number: 3, text: 'next', bytesRead: 100_009 },
    ]);
  });
});
