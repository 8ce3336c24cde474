/**
 * Which CDK context keys are Seismo's typos. The context holds more than Seismo's keys: the CDK's feature flags
 * (`@aws-cdk/...`), its own settings (`aws:cdk:...`), lookup results (`availability-zones:account=...`) and
 * cdk.json entries such as `acknowledged-issue-numbers`. All of those contain `@`, `:`, `/` or `-`; Seismo's
 * keys are plain camelCase words. So the rule: a key made only of letters, digits and underscores, starting
 * with a letter, is meant for Seismo, and one that Seismo does not read is an error, never silently ignored.
 */

/** A key shaped like Seismo's (camelCase, or a snake_case attempt at one): letters, digits, `_`. */
const LOOKS_LIKE_OURS = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Most edits between a typo and the key it was meant to be, before we stop guessing. */
const MAX_SUGGESTION_DISTANCE = 3;

/** Whether a context key is shaped like Seismo's own (and so must be one of them). */
export function looksLikeSeismoKey(key: string): boolean {
  return LOOKS_LIKE_OURS.test(key);
}

/** Levenshtein distance: insertions, deletions and substitutions, each costing one. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Case and `_` do not count: `batchsize` and `batch_size` are both `batchSize`. */
const normalized = (key: string): string => key.toLowerCase().replaceAll('_', '');

/**
 * The known key `key` was most likely meant to be: equal ignoring case and underscores, or else the one at the
 * smallest edit distance, if that is at most {@link MAX_SUGGESTION_DISTANCE}; undefined when none is close.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(normalized(key), normalized(candidate));
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= MAX_SUGGESTION_DISTANCE ? best.key : undefined;
}

/** One problem per context key shaped like Seismo's that Seismo does not read, naming the nearest known key. */
export function unknownKeyProblems(
  context: Readonly<Record<string, unknown>>,
  known: readonly string[],
): string[] {
  const knownSet = new Set(known);
  return Object.keys(context)
    .filter((key) => looksLikeSeismoKey(key) && !knownSet.has(key))
    .map((key) => {
      const nearest = nearestKey(key, known);
      return nearest === undefined
        ? `unknown context key "${key}": Seismo reads ${known.join(', ')}`
        : `unknown context key "${key}": did you mean "${nearest}"?`;
    });
}
