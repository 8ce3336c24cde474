/**
 * Makes text from the stream safe to print on an operator's terminal. Series names, partition keys and
 * dead-letter reasons come from whoever can write to the stream; printed raw, an ESC starts an ANSI sequence
 * (recolour, move the cursor, retitle the window, on some terminals write to the clipboard), a CR or LF forges
 * whole lines ("▲ OPENED" that never happened, or a real alert overwritten), and a bidi override makes the
 * text read differently from what it is.
 */

/** `\n`, `\r` and `\t` keep their familiar escapes; every other unsafe character becomes `\xHH` or `\uHHHH`. */
const NAMED: Readonly<Record<number, string>> = { 10: '\\n', 13: '\\r', 9: '\\t' };

/**
 * `text` with every character that steers a terminal instead of showing a glyph replaced by a visible
 * escape, so it prints as exactly one line of plain text: C0 controls (U+0000–U+001F: NUL, BEL, BS, TAB, LF,
 * CR, ESC…), DEL, C1 controls (U+0080–U+009F: NEL, and CSI, which some terminals take as ESC [), the line and
 * paragraph separators U+2028/U+2029, and the bidi formatting characters (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069). Everything else, emoji and scripts of every language included, is kept. A
 * backslash already in the text is kept as it is: this is a display for a person, not an encoding to parse
 * back (the HTTP endpoint serves exact names as JSON).
 */
export function escapeForTerminal(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!steersTerminal(code)) continue;
    out += text.slice(from, i) + escapeOf(code);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

function steersTerminal(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function escapeOf(code: number): string {
  const named = NAMED[code];
  if (named) return named;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}
