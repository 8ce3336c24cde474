import type { ScoredPoint } from '../core/detection-types.ts';
import { SINGLE_CHANNEL } from '../core/events/event-schema.ts';
import { nameRuleBroken } from '../core/events/name-rules.ts';

/**
 * Encoding of scored points as InfluxDB line protocol, valid for InfluxDB 1.x and 2.x (and so Amazon
 * Timestream for InfluxDB): `measurement,channel=..,series=..,<dimensions> value=..,raw_score=..,
 * probability=..,anomalous=true,model_version=".." <epoch ms>`, tags sorted by key as InfluxDB recommends;
 * the channel tag only for a named channel.
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

/** What to escape in a measurement name and in tag keys and values. */
const MEASUREMENT = /[, ]/g;
const KEY = /[,= ]/g;

/**
 * Escapes commas, spaces (and `=` outside measurements) with a backslash. Backslashes stay literal, which 1.x
 * and 2.x read alike; the names validation accepts (core/events/name-rules.ts) never hold a backslash either
 * version would read differently, nor a control character.
 */
function escapeName(text: string, specials: RegExp, series: string, element: string): string {
  if (text === '') throw new InfluxLineProtocolError(series, element, 'must not be empty');
  const broken = nameRuleBroken(text);
  if (broken) throw new InfluxLineProtocolError(series, element, broken);
  return text.replace(specials, (c) => `\\${c}`);
}

function escapeStringField(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Encodes one point as one line; non-finite numbers are left out, as line protocol has no NaN or Infinity. */
export function toLine(measurement: string, point: ScoredPoint): string {
  const { series } = point;
  let line = escapeName(measurement, MEASUREMENT, series, 'the measurement');

  const tags: [string, string][] = [['series', series]];
  if (point.channel !== SINGLE_CHANNEL) tags.push(['channel', point.channel]);
  for (const [key, value] of Object.entries(point.dimensions)) {
    // Line protocol has no empty tag values; validation refuses dimensions named like Seismo's own tags.
    if (key !== 'series' && key !== 'channel' && value !== '') tags.push([key, value]);
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
