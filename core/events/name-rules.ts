/**
 * The characters a name or tag may hold so that every backend stores it as sent: Timestream for LiveAnalytics
 * (dimension names and values), InfluxDB line protocol 1.x and 2.x (tags), DynamoDB keys and SNS message
 * attributes. Validation and the adapters share these rules, so a record that passes validation can be
 * stored and a record that could not be stored is refused up front, with the rule it broke.
 */

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this rule's purpose.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Backslashes InfluxDB versions read differently: 1.x keeps `\\` as two characters, 2.x as one, and a
 * trailing backslash escapes the separator after it. Any other backslash is a literal in both.
 */
const AMBIGUOUS_BACKSLASH = /\\(?:$|[\\, =])/;

/** Why `text` cannot be stored as a name or tag by every backend, or undefined when it can. */
export function nameRuleBroken(text: string): string | undefined {
  if (CONTROL.test(text)) return 'must not contain control characters (line breaks, tabs, NUL, escapes)';
  if (AMBIGUOUS_BACKSLASH.test(text)) {
    return 'a backslash must not end it or stand before a backslash, comma, space or "=" (InfluxDB reads those differently across versions)';
  }
  return undefined;
}

/**
 * Dimension names that collide with what the stores write beside them: Seismo's own tags and measures,
 * Timestream's reserved column names, InfluxDB 1.x's reserved `time`. Compared case-insensitively, as
 * Timestream's SQL compares column names.
 */
export const RESERVED_DIMENSIONS: ReadonlySet<string> = new Set([
  'series',
  'channel',
  'value',
  'raw_score',
  'probability',
  'anomalous',
  'model_version',
  'time',
  'measure_name',
]);

/** Timestream's longest dimension name, in UTF-8 bytes. */
export const MAX_DIMENSION_NAME_BYTES = 60;

/** Why `name` cannot be a dimension name, or undefined when it can. */
export function dimensionNameRuleBroken(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (RESERVED_DIMENSIONS.has(lower)) return `"${name}" is reserved (Seismo and the stores use it)`;
  if (lower.startsWith('ts_') || lower.startsWith('measure_value')) {
    return 'must not start with "ts_" or "measure_value" (reserved by Timestream)';
  }
  if (name.startsWith('_')) return 'must not start with "_" (reserved by InfluxDB 2)';
  if (name.includes(':')) return 'must not contain ":" (Timestream refuses it)';
  if (Buffer.byteLength(name) > MAX_DIMENSION_NAME_BYTES) {
    return `must be at most ${MAX_DIMENSION_NAME_BYTES} bytes of UTF-8 (Timestream's limit)`;
  }
  return nameRuleBroken(name);
}
