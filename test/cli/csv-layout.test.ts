import { describe, expect, it } from 'vitest';
import { detectDelimiter, layoutOf, looksLikeData } from '../../cli/csv-layout.ts';

describe('detectDelimiter', () => {
  it.each([
    ['a comma', 'timestamp,value\n2024-01-01T00:00:00Z,1.5\n', ','],
    ['a tab', 'timestamp\tvalue\n2024-01-01 00:00:00\t1.5\n', '\t'],
    [
      'a semicolon, with decimal commas',
      'timestamp;value\n2024-01-01 00:00:00;1,5\n2024-01-01 00:05:00;2,5\n',
      ';',
    ],
    ['a pipe', 'time|cpu|host\n1|2|a\n', '|'],
    ['a comma, with quoted semicolons', 'name,value\n"a;b",1\n"c;d",2\n', ','],
  ])('finds %s', (_, text, delimiter) => {
    // Act / Assess
    expect(detectDelimiter(text)).toBe(delimiter);
  });

  it('takes a comma for a file of one column', () => {
    // Act / Assess
    expect(detectDelimiter('value\n1\n2\n')).toBe(',');
  });
});

describe('looksLikeData', () => {
  it('tells numbers and dates from column names', () => {
    // Act / Assess
    for (const cell of ['1.5', '-2', '1e3', '1704067200', '2024-01-01', '2024-01-01T00:00:00Z', ' 7 ']) {
      expect(looksLikeData(cell), cell).toBe(true);
    }
    for (const cell of ['timestamp', 'value', 'cpu0', 'p99 latency', '', 'Date']) {
      expect(looksLikeData(cell), cell).toBe(false);
    }
  });
});

describe('layoutOf', () => {
  it('names the columns of a file without a header column_1.. and keeps its first line', () => {
    // Act
    const layout = layoutOf('2024-01-01T00:00:00Z;1,5\n2024-01-01T00:05:00Z;2,5\n');
    // Assess
    expect(layout).toEqual({
      delimiter: ';',
      hasHeader: false,
      columns: ['column_1', 'column_2'],
      firstLine: '2024-01-01T00:00:00Z;1,5',
    });
  });

  it('follows the command line over what the file suggests', () => {
    // Act
    const layout = layoutOf('2024,2025\n1,2\n', { header: true, delimiter: ',' });
    // Assess
    expect(layout.hasHeader).toBe(true);
    expect(layout.columns).toEqual(['2024', '2025']);
  });

  it('reads a header after a byte order mark', () => {
    // Act
    const layout = layoutOf('\uFEFFtime,cpu\n1,2\n');
    // Assess
    expect(layout.columns).toEqual(['time', 'cpu']);
  });
});
