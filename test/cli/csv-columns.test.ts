import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/command.ts';
import {
  type CsvRecord,
  isNumericColumn,
  knownColumn,
  numberCell,
  numericColumns,
  timestampCell,
  timestampColumn,
} from '../../cli/csv-columns.ts';

describe('timestampColumn', () => {
  it('takes the first column named like a timestamp, ignoring case and spaces', () => {
    // Prepare
    const header = ['host', ' Time ', 'ts', 'cpu'];
    // Act
    const column = timestampColumn(header, undefined, 'hosts.csv');
    // Assess
    expect(column).toBe(' Time ');
  });

  it('falls back to the first column when none is named like a timestamp', () => {
    // Prepare
    const header = ['when', 'cpu'];
    // Act
    const column = timestampColumn(header, undefined, 'hosts.csv');
    // Assess
    expect(column).toBe('when');
  });

  it('takes the column --timestamp names over a conventional name', () => {
    // Prepare
    const header = ['timestamp', 'when', 'cpu'];
    // Act
    const column = timestampColumn(header, 'when', 'hosts.csv');
    // Assess
    expect(column).toBe('when');
  });

  it('refuses a --timestamp that is not a column, naming the file and its columns', () => {
    // Prepare
    const header = ['time', 'cpu'];
    // Act
    const choose = () => timestampColumn(header, 'date', 'hosts.csv');
    // Assess
    expect(choose).toThrow(UsageError);
    expect(choose).toThrow('--timestamp "date" is not a column of hosts.csv (columns: time, cpu)');
  });
});

describe('knownColumn', () => {
  it('returns a column of the header and refuses any other with the flag that named it', () => {
    // Prepare
    const header = ['time', 'cpu'];
    // Act
    const known = knownColumn(header, 'cpu', '--value', 'hosts.csv');
    const unknown = () => knownColumn(header, 'mem', '--value', 'hosts.csv');
    // Assess
    expect(known).toBe('cpu');
    expect(unknown).toThrow('--value "mem" is not a column of hosts.csv (columns: time, cpu)');
  });
});

describe('isNumericColumn', () => {
  it('counts a column whose filled cells are mostly numbers, skipping empty and missing cells', () => {
    // Prepare
    const sample: CsvRecord[] = [{ cpu: '1.5' }, { cpu: ' ' }, {}, { cpu: 'n/a' }, { cpu: ' 2e3 ' }];
    // Act
    const numeric = isNumericColumn('cpu', sample);
    // Assess
    expect(numeric).toBe(true);
  });

  it('refuses a column with as many text cells as numbers, or with no filled cell', () => {
    // Prepare
    const sample = [
      { half: '1', blank: '' },
      { half: 'x', blank: '  ' },
    ];
    // Act
    const half = isNumericColumn('half', sample);
    const blank = isNumericColumn('blank', sample);
    // Assess
    expect(half).toBe(false);
    expect(blank).toBe(false);
  });

  it('refuses infinities and NaN', () => {
    // Prepare
    const sample = [{ v: 'Infinity' }, { v: '-Infinity' }, { v: 'NaN' }];
    // Act
    const numeric = isNumericColumn('v', sample);
    // Assess
    expect(numeric).toBe(false);
  });
});

describe('numericColumns', () => {
  it('lists the numeric columns other than the timestamp, in header order', () => {
    // Prepare
    const header = ['mem', 'time', 'host', 'cpu'];
    const sample = [
      { mem: '70', time: '1764547200000', host: 'web-1', cpu: '50' },
      { mem: '71', time: '1764547260000', host: 'web-2', cpu: '' },
    ];
    // Act
    const columns = numericColumns(header, 'time', sample);
    // Assess
    expect(columns).toEqual(['mem', 'cpu']);
  });

  it('judges from the first row alone when given only that row', () => {
    // Prepare
    const header = ['time', 'note', 'load'];
    const first = { time: '2026-01-01T00:00:00Z', note: '', load: '0.5' };
    // Act
    const [value] = numericColumns(header, 'time', [first]);
    // Assess
    expect(value).toBe('load');
  });
});

describe('timestampCell', () => {
  it('reads epoch digits as a number and anything else as trimmed text', () => {
    // Act
    const cells = ['1764547200000', ' 1764547200000.5 ', ' 2026-01-01T00:00:00Z ', '1.7e12', '-5'].map(
      timestampCell,
    );
    // Assess
    expect(cells).toEqual([1764547200000, 1764547200000.5, '2026-01-01T00:00:00Z', '1.7e12', '-5']);
  });

  it('leaves a missing cell undefined, for the schema to call it required', () => {
    // Act
    const cell = timestampCell(undefined);
    // Assess
    expect(cell).toBeUndefined();
  });
});

describe('numberCell', () => {
  it('reads a finite number and leaves any other cell as trimmed text for the schema to refuse', () => {
    // Act
    const cells = [' 12.5 ', '-3', '1e3', '', '  ', ' n/a ', 'Infinity'].map(numberCell);
    // Assess
    expect(cells).toEqual([12.5, -3, 1000, '', '', 'n/a', 'Infinity']);
  });

  it('leaves a missing cell undefined', () => {
    // Act
    const cell = numberCell(undefined);
    // Assess
    expect(cell).toBeUndefined();
  });
});
