import type { Readable } from 'node:stream';

/** Longest line read as an event: the detector refuses records over 64 KiB, so a longer line cannot be one. */
export const MAX_LINE_BYTES = 64 * 1024;

/** One line of a JSON Lines input, numbered from 1, with how far into the input it ends. */
export interface Line {
  readonly number: number;
  /** The line without its `\n` or `\r\n`; empty when {@link Line.tooLong}. */
  readonly text: string;
  /** Bytes of the input read up to the end of this line, for progress. */
  readonly bytesRead: number;
  /** The line's length in bytes when it is over {@link MAX_LINE_BYTES}: its text is dropped, not buffered. */
  readonly tooLong?: number;
}

/**
 * The lines of `input`, one at a time, in constant memory: a line over `maxBytes` is reported as too long
 * (and skipped without being held), so a file without newlines cannot exhaust memory. A last line without a
 * newline counts.
 */
export async function* jsonLines(input: Readable, maxBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let held = 0;
  let lineBytes = 0;
  let number = 0;
  let bytesRead = 0;
  const end = (): Line => {
    number += 1;
    if (lineBytes > maxBytes) {
      const line = { number, text: '', bytesRead, tooLong: lineBytes };
      parts = [];
      held = 0;
      lineBytes = 0;
      return line;
    }
    let text = Buffer.concat(parts, held).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    parts = [];
    held = 0;
    lineBytes = 0;
    return { number, text, bytesRead };
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < buffer.length) {
      const newline = buffer.indexOf(0x0a, start);
      const stop = newline < 0 ? buffer.length : newline;
      const piece = buffer.subarray(start, stop);
      lineBytes += piece.length;
      if (lineBytes <= maxBytes) {
        parts.push(piece);
        held += piece.length;
      }
      if (newline < 0) {
        bytesRead += buffer.length - start;
        break;
      }
      bytesRead += stop - start + 1;
      yield end();
      start = newline + 1;
    }
  }
  if (lineBytes > 0 || parts.length > 0) yield end();
}
