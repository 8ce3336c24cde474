import { type Labels, labelValue } from './alert-transition.ts';

/**
 * Label matchers as Alertmanager writes them: `severity="critical"`, `series=~"api-.*"`, `team!="payments"`,
 * `host!~"canary-.*"`. Regular expressions are anchored (`^(?:re)$`), and a missing label reads as the empty
 * string, exactly as in Alertmanager, so its configs and habits carry over.
 */

/** The four matcher operators: equal, not equal, regex match, regex non-match. */
export const MATCH_OPERATORS = ['=', '!=', '=~', '!~'] as const;

/** One matcher operator. */
export type MatchOperator = (typeof MATCH_OPERATORS)[number];

/** A parsed matcher; plain data, so silences holding matchers serialize as they are. */
export interface Matcher {
  readonly name: string;
  readonly op: MatchOperator;
  readonly value: string;
}

/** Thrown for a matcher that cannot be parsed or whose regex does not compile; `reason` names the rule. */
export class MatcherSyntaxError extends Error {
  override readonly name = 'MatcherSyntaxError';
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const SHAPE = /^\s*([^\s=!~"]+)\s*([=!~]+)\s*(.*?)\s*$/s;

/** Parses `name op value` (value optionally double-quoted, with `\"`, `\\` and `\n` escapes). */
export function parseMatcher(text: string): Matcher {
  const shape = SHAPE.exec(text);
  if (!shape)
    throw new MatcherSyntaxError(
      text,
      `"${text}" is not a matcher: expected name, operator, value (e.g. severity="critical")`,
    );
  const [, name, op, rawValue] = shape as unknown as [string, string, string, string];
  if (!(MATCH_OPERATORS as readonly string[]).includes(op)) {
    throw new MatcherSyntaxError(text, `unknown operator "${op}" (use =, !=, =~ or !~)`);
  }
  const value = unquote(text, rawValue);
  const matcher: Matcher = { name, op: op as MatchOperator, value };
  if (matcher.op === '=~' || matcher.op === '!~') compileRegex(text, value);
  return matcher;
}

function unquote(text: string, raw: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) throw new MatcherSyntaxError(text, 'a quote inside an unquoted value');
    return raw;
  }
  if (raw.length < 2 || !raw.endsWith('"')) throw new MatcherSyntaxError(text, 'unterminated quoted value');
  let out = '';
  const body = raw.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '"') throw new MatcherSyntaxError(text, 'an unescaped quote inside the quoted value');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[++i];
    if (next === 'n') out += '\n';
    else if (next === '"' || next === '\\') out += next;
    else throw new MatcherSyntaxError(text, `unknown escape "\\${next ?? ''}" (use \\", \\\\ or \\n)`);
  }
  return out;
}

const regexCache = new Map<string, RegExp>();

function compileRegex(text: string, source: string): RegExp {
  const cached = regexCache.get(source);
  if (cached) return cached;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, 's');
  } catch (error) {
    throw new MatcherSyntaxError(text, `invalid regular expression: ${(error as Error).message}`);
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(source, re);
  return re;
}

/** Whether one matcher accepts the labels (a missing label is the empty string). */
export function matches(matcher: Matcher, labels: Labels): boolean {
  const value = labelValue(labels, matcher.name) ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return compileRegex(matcher.name, matcher.value).test(value);
    case '!~':
      return !compileRegex(matcher.name, matcher.value).test(value);
  }
}

/** Whether every matcher accepts the labels; an empty list matches everything. */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matches(m, labels));
}

/** A matcher written back as text, quoted and escaped so {@link parseMatcher} reads it back the same. */
export function formatMatcher(matcher: Matcher): string {
  const escaped = matcher.value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
  return `${matcher.name}${matcher.op}"${escaped}"`;
}
