import type { ScoredPoint } from '../core/detection-types.ts';

/**
 * Encoding of scored points as InfluxDB line protocol, valid for InfluxDB 1.x and 2.x (and so Amazon
 * Timestream for InfluxDB): `measurement,series=..,<dimensions> value=..,raw_score=..,probability=..,
 * anomalous=true,model_version=".." <epoch ms>`, tags sorted by key as InfluxDB recommends.
 */

/** Thrown for a name or value that line protocol cannot carry; names the series, the element and the rule. */
export class InfluxLineProtocolError extends Error {
  override readonly name = 'InfluxLineProtocolError';
  constructor(
    readonly series: string,
    readonly element: string,
    readonly rule: string,
  ) {
    super(`cannot encode ${element} of series ${JSON.stringify(series)} as line protocol: ${rule}`);
  }
}

/** What to escape in an element, and which backslashes would make it ambiguous. */
interface EscapeRule {
  readonly specials: RegExp;
  readonly ambiguous: RegExp;
}
const MEASUREMENT: EscapeRule = { specials: /[, ]/g, ambiguous: /\\(?:$|[\\, ])/ };
const KEY: EscapeRule = { specials: /[,= ]/g, ambiguous: /\\(?:$|[\\,= ])/ };

/**
 * Escapes commas, spaces (and `=` outside measurements) with a backslash. Backslashes stay literal, which 1.x
 * and 2.x read alike, so a backslash at the end or before another backslash or an escaped character, and
 * any line break, are refused: the two versions would read them differently, or not at all.
 */
function escapeName(text: string, rule: EscapeRule, series: string, element: string): string {
  if (text === '') throw new InfluxLineProtocolError(series, element, 'must not be empty');
  if (/[\r\n]/.test(text))
    throw new InfluxLineProtocolError(series, element, 'must not contain a line break');
  if (rule.ambiguous.test(text)) {
    throw new InfluxLineProtocolError(
      series,
      element,
      'a backslash must not end it nor precede a backslash, comma, space or equals sign',
    );
  }
  return text.replace(rule.specials, (c) => `\\${c}`);
}

function escapeStringField(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Encodes one point as one line; non-finite numbers are left out, as line protocol has no NaN or Infinity. */
export function toLine(measurement: string, point: ScoredPoint): string {
  const { series } = point;
  let line = escapeName(measurement, MEASUREMENT, series, 'the measurement');

  const tags: [string, string][] = [['series', series]];
  for (const [key, value] of Object.entries(point.dimensions)) {
    // Line protocol has no empty tag values; the series tag wins over a dimension of the same name.
    if (key !== 'series' && value !== '') tags.push([key, value]);
  }
  tags.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of tags) {
    const k = escapeName(key, KEY, series, `tag key ${JSON.stringify(key)}`);
    const v = escapeName(value, KEY, series, `the value of tag ${JSON.stringify(key)}`);
    line += `,${k}=${v}`;
  }

  const fields: string[] = [];
  for (const [key, value] of [
    ['value', point.value],
    ['raw_score', point.rawScore],
    ['probability', point.probability],
  ] as const) {
    if (Number.isFinite(value)) fields.push(`${key}=${value}`);
  }
  fields.push(`anomalous=${point.anomalous}`);
  fields.push(`model_version=${escapeStringField(point.modelVersion)}`);

  return `${line} ${fields.join(',')} ${Math.trunc(point.timestamp)}`;
}
