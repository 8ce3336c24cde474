import { describe, expect, it } from 'vitest';
import { formatMatcher, MatcherSyntaxError, matches, parseMatcher } from '../../../core/alerting/matchers.ts';

describe('parseMatcher', () => {
  it('reads the four operators, quoted or not', () => {
    expect(parseMatcher('severity="critical"')).toEqual({ name: 'severity', op: '=', value: 'critical' });
    expect(parseMatcher('team != payments')).toEqual({ name: 'team', op: '!=', value: 'payments' });
    expect(parseMatcher('series=~"api-.*"')).toEqual({ name: 'series', op: '=~', value: 'api-.*' });
    expect(parseMatcher('host!~canary-.*')).toEqual({ name: 'host', op: '!~', value: 'canary-.*' });
  });

  it('unescapes quoted values and round-trips through formatMatcher', () => {
    const m = parseMatcher('series="a \\"quoted\\" \\\\ name"');
    expect(m.value).toBe('a "quoted" \\ name');
    expect(parseMatcher(formatMatcher(m))).toEqual(m);
  });

  it.each([
    ['series=~~"x"', 'unknown operator "=~~" (use =, !=, =~ or !~)'],
    ['series', '"series" is not a matcher: expected name, operator, value (e.g. severity="critical")'],
    ['series="x', 'unterminated quoted value'],
    ['series=~"("', /^invalid regular expression/],
  ])('refuses %s', (text, reason) => {
    try {
      parseMatcher(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MatcherSyntaxError);
      expect((error as MatcherSyntaxError).reason).toMatch(reason);
    }
  });
});

describe('matches', () => {
  it('anchors regular expressions as Alertmanager does', () => {
    const m = parseMatcher('series=~"api"');
    expect(matches(m, { series: 'api' })).toBe(true);
    expect(matches(m, { series: 'api-gateway' })).toBe(false);
    expect(matches(m, { series: 'my-api' })).toBe(false);
  });

  it('reads a missing label as the empty string', () => {
    expect(matches(parseMatcher('env=""'), {})).toBe(true);
    expect(matches(parseMatcher('env!=""'), {})).toBe(false);
    expect(matches(parseMatcher('env!="prod"'), {})).toBe(true);
  });

  it('treats __proto__ as an ordinary label name', () => {
    expect(matches(parseMatcher('__proto__=""'), {})).toBe(true);
    expect(matches(parseMatcher('__proto__="x"'), Object.fromEntries([['__proto__', 'x']]))).toBe(true);
  });
});
