/**
 * Parsers for the parts of a recurring time window, in Alertmanager's notation: `09:00` times of day,
 * `monday:friday` weekdays, `1:5` or `-1` days of the month, `january:march` months, `2026:2027` years.
 * Each returns plain numbers so a window is serializable; each throws an Error whose message is the rule.
 */

/** An inclusive range of integers (weekdays 1-7 Monday first, days of month ±1-31, months 1-12, years). */
export interface IntRange {
  readonly start: number;
  readonly end: number;
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** `HH:MM` (00:00 to 24:00) as minutes after midnight. */
export function parseTimeOfDay(text: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  const hours = Number(m?.[1]);
  const minutes = Number(m?.[2]);
  if (!m || hours > 24 || minutes > 59 || (hours === 24 && minutes > 0)) {
    throw new Error(`"${text}" is not a time of day HH:MM between 00:00 and 24:00`);
  }
  return hours * 60 + minutes;
}

function range(text: string, parse: (part: string) => number, what: string, ordered = true): IntRange {
  const parts = text.split(':');
  if (parts.length > 2) throw new Error(`"${text}" is not a ${what} or a range start:end`);
  const start = parse((parts[0] ?? '').trim());
  const end = parts.length === 2 ? parse((parts[1] ?? '').trim()) : start;
  if (ordered && start > end) throw new Error(`"${text}": the start comes after the end`);
  return { start, end };
}

function named(names: readonly string[], what: string, numeric: boolean) {
  return (part: string): number => {
    const index = names.indexOf(part.toLowerCase());
    if (index >= 0) return index + 1;
    const n = Number(part);
    if (numeric && /^\d+$/.test(part) && n >= 1 && n <= names.length) return n;
    throw new Error(`"${part}" is not a ${what} (${names[0]} to ${names[names.length - 1]})`);
  };
}

/** `monday`, `monday:friday` as weekdays 1 (Monday) to 7 (Sunday), as luxon counts them. */
export function parseWeekdayRange(text: string): IntRange {
  return range(text, named(WEEKDAYS, 'weekday', false), 'weekday');
}

/** `january:march`, `12`, `1:3` as months 1 to 12. */
export function parseMonthRange(text: string): IntRange {
  return range(text, named(MONTHS, 'month', true), 'month');
}

/** `1:5`, `15`, `-1` (last day), `-3:-1` as days of the month; negative days count from the month's end. */
export function parseDayOfMonthRange(text: string): IntRange {
  const day = (part: string) => {
    const n = Number(part);
    if (!/^-?\d+$/.test(part) || n === 0 || n < -31 || n > 31) {
      throw new Error(`"${part}" is not a day of the month (1 to 31, or -1 to -31 from the end)`);
    }
    return n;
  };
  const r = range(text, day, 'day of the month', false);
  if (Math.sign(r.start) === Math.sign(r.end) && r.start > r.end) {
    throw new Error(`"${text}": the start comes after the end`);
  }
  return r;
}

/** `2026`, `2026:2027` as years. */
export function parseYearRange(text: string): IntRange {
  return range(
    text,
    (part) => {
      if (!/^\d{4}$/.test(part)) throw new Error(`"${part}" is not a four-digit year`);
      return Number(part);
    },
    'year',
  );
}
