/**
 * A reader of InfluxDB line protocol (1.x and 2.x): `measurement[,tag=value...] field=value[,field=value...]
 * [timestamp]`, one point per line, `#` comments and blank lines skipped. No maintained JavaScript parser exists,
 * so this one follows the reference: in measurements a backslash escapes a comma or a space; in tag keys, tag
 * values and field keys it escapes a comma, an equals sign or a space; any other backslash is itself, as InfluxDB
 * 1.x and the official clients read it; in string fields `\"` and `\\` are a quote and a backslash. Field values
 * are floats (`1.5`, `-2e3`), integers (`3i`), unsigned integers (`3u`), booleans (`t`, `true`, `F`, ...) or
 * strings (`"..."`). Every line is read or refused with its number and the rule it broke; one bad line does not
 * spoil the others.
 */

/** A field value as written: numbers keep the type the line gave them. */
export type FieldValue =
  | { readonly type: 'float' | 'integer' | 'unsigned'; readonly value: number }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string };

/** One point of line protocol. */
export interface LinePoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Epoch milliseconds (from the line's timestamp at the request's precision, or the receive time). */
  readonly timestamp: number;
  /** 1-based line number in the body. */
  readonly line: number;
}

/** A line that could not be read. */
export interface LineError {
  readonly line: number;
  readonly reason: string;
}

/** Timestamp precisions of the write APIs (1.x: n, u, ms, s, m, h; 2.x: ns, us, ms, s). */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

const PRECISION_ALIASES: Readonly<Record<string, Precision>> = {
  n: 'ns',
  ns: 'ns',
  u: 'us',
  us: 'us',
  µ: 'us',
  ms: 'ms',
  s: 's',
  m: 'm',
  h: 'h',
};

/** The precision named by a `precision` query parameter (ns when absent), or undefined if unknown. */
export function parsePrecision(text: string | null | undefined): Precision | undefined {
  if (text === null || text === undefined || text === '') return 'ns';
  return PRECISION_ALIASES[text];
}

/** Thrown inside the reader for one line; caught per line. */
class LineSyntaxError extends Error {}

const MEASUREMENT_SPECIALS = ', ';
const KEY_SPECIALS = ',= ';

/** Reads a body of line protocol. `now` (epoch ms) stands in for lines without a timestamp. */
export function parseLineProtocol(
  text: string,
  options: { readonly precision: Precision; readonly now: number },
): { points: LinePoint[]; errors: LineError[] } {
  const points: LinePoint[] = [];
  const errors: LineError[] = [];
  for (const { text: line, number } of splitLines(text)) {
    const trimmed = line.replace(/\r$/, '').trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    try {
      points.push(readLine(trimmed, number, options));
    } catch (error) {
      if (!(error instanceof LineSyntaxError)) throw error;
      errors.push({ line: number, reason: error.message });
    }
  }
  return { points, errors };
}

/**
 * Splits a body into lines at newlines outside string fields (a string field may hold a raw line break, as the
 * official clients write it). Escaped characters never end a section; line numbers count every newline.
 */
function* splitLines(text: string): Generator<{ text: string; number: number }> {
  let start = 0;
  let number = 1;
  let newlines = 0;
  let section = 0; // 0: measurement and tags, 1: fields, 2: timestamp
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\' && section <= 1) {
      if (text[i + 1] !== '\n') i += 1;
      continue;
    }
    if (ch === '\n') {
      newlines += 1;
      if (quoted) continue;
      yield { text: text.slice(start, i), number };
      number += newlines;
      newlines = 0;
      start = i + 1;
      section = 0;
      continue;
    }
    if (section === 0 && ch === ' ' && i > start) section = 1;
    else if (section === 1 && ch === '"') quoted = !quoted;
    else if (section === 1 && ch === ' ' && !quoted) section = 2;
  }
  if (start < text.length) yield { text: text.slice(start), number };
}

/** A cursor over one line. */
interface Cursor {
  readonly text: string;
  pos: number;
}

/** Reads up to an unescaped character of `stops`; unescapes `specials`. */
function readToken(c: Cursor, stops: string, specials: string): string {
  let out = '';
  let from = c.pos;
  while (c.pos < c.text.length) {
    const ch = c.text[c.pos] as string;
    if (ch === '\\' && c.pos + 1 < c.text.length && specials.includes(c.text[c.pos + 1] as string)) {
      out += c.text.slice(from, c.pos) + c.text[c.pos + 1];
      c.pos += 2;
      from = c.pos;
      continue;
    }
    if (stops.includes(ch)) break;
    c.pos += 1;
  }
  return out + c.text.slice(from, c.pos);
}

function readLine(text: string, line: number, options: { precision: Precision; now: number }): LinePoint {
  const c: Cursor = { text, pos: 0 };
  const measurement = readToken(c, ', ', MEASUREMENT_SPECIALS);
  if (measurement === '') throw new LineSyntaxError('missing measurement');
  const tags: Record<string, string> = {};
  while (c.text[c.pos] === ',') {
    c.pos += 1;
    const key = readToken(c, '=, ', KEY_SPECIALS);
    if (c.text[c.pos] !== '=') throw new LineSyntaxError(`tag "${key}" has no "=value"`);
    c.pos += 1;
    const value = readToken(c, ', ', KEY_SPECIALS);
    if (key === '') throw new LineSyntaxError('a tag key is empty');
    if (value === '') throw new LineSyntaxError(`tag "${key}" has an empty value`);
    tags[key] = value;
  }
  if (c.text[c.pos] !== ' ')
    throw new LineSyntaxError('missing fields (a space must follow the measurement and tags)');
  while (c.text[c.pos] === ' ') c.pos += 1;
  const fields: Record<string, FieldValue> = {};
  for (;;) {
    const key = readToken(c, '= ,', KEY_SPECIALS);
    if (key === '') throw new LineSyntaxError('a field key is empty');
    if (c.text[c.pos] !== '=') throw new LineSyntaxError(`field "${key}" has no "=value"`);
    c.pos += 1;
    fields[key] = readFieldValue(c, key);
    if (c.text[c.pos] !== ',') break;
    c.pos += 1;
  }
  if (Object.keys(fields).length === 0) throw new LineSyntaxError('missing fields');
  while (c.text[c.pos] === ' ') c.pos += 1;
  const rest = c.text.slice(c.pos).trimEnd();
  const timestamp = rest === '' ? options.now : toMillis(rest, options.precision);
  return { measurement, tags, fields, timestamp, line };
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+i$/;
const UNSIGNED = /^\d+u$/;
const TRUE = new Set(['t', 'T', 'true', 'True', 'TRUE']);
const FALSE = new Set(['f', 'F', 'false', 'False', 'FALSE']);

function readFieldValue(c: Cursor, key: string): FieldValue {
  if (c.text[c.pos] === '"') {
    let out = '';
    c.pos += 1;
    while (c.pos < c.text.length) {
      const ch = c.text[c.pos] as string;
      if (ch === '\\' && (c.text[c.pos + 1] === '"' || c.text[c.pos + 1] === '\\')) {
        out += c.text[c.pos + 1];
        c.pos += 2;
        continue;
      }
      if (ch === '"') {
        c.pos += 1;
        return { type: 'string', value: out };
      }
      out += ch;
      c.pos += 1;
    }
    throw new LineSyntaxError(`string field "${key}" has no closing quote`);
  }
  const from = c.pos;
  while (c.pos < c.text.length && c.text[c.pos] !== ',' && c.text[c.pos] !== ' ') c.pos += 1;
  const token = c.text.slice(from, c.pos);
  if (INTEGER.test(token)) return { type: 'integer', value: Number(token.slice(0, -1)) };
  if (UNSIGNED.test(token)) return { type: 'unsigned', value: Number(token.slice(0, -1)) };
  if (FLOAT.test(token)) return { type: 'float', value: Number(token) };
  if (TRUE.has(token)) return { type: 'boolean', value: true };
  if (FALSE.has(token)) return { type: 'boolean', value: false };
  throw new LineSyntaxError(
    `field "${key}" value ${JSON.stringify(token.slice(0, 40))} is not a float, integer (i), unsigned (u), boolean or quoted string`,
  );
}

/** Digits dropped to go from the precision to milliseconds, or the factor to multiply by. */
const TO_MS: Readonly<Record<Precision, { drop: number } | { times: number }>> = {
  ns: { drop: 6 },
  us: { drop: 3 },
  ms: { drop: 0 },
  s: { times: 1_000 },
  m: { times: 60_000 },
  h: { times: 3_600_000 },
};

/** An integer timestamp at `precision` to epoch ms, exactly (string arithmetic: ns do not fit a double). */
function toMillis(text: string, precision: Precision): number {
  if (!/^-?\d+$/.test(text)) {
    throw new LineSyntaxError(`timestamp ${JSON.stringify(text.slice(0, 40))} is not an integer`);
  }
  const rule = TO_MS[precision];
  if ('times' in rule) return Number(text) * rule.times;
  if (rule.drop === 0) return Number(text);
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  const whole = digits.length > rule.drop ? Number(digits.slice(0, -rule.drop)) : 0;
  // Floor, as integer division of a negative time rounds towards the past.
  const hasRemainder = /[1-9]/.test(digits.slice(-rule.drop));
  return negative ? -whole - (hasRemainder ? 1 : 0) : whole;
}
