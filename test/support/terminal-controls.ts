/**
 * The characters in `text` that steer a terminal rather than show a glyph (C0 and C1 controls, DEL, the
 * line and paragraph separators, bidi formatting), as `U+XXXX`: an independent check of what the local
 * stack prints, not a copy of its escaping code.
 */
export function terminalControlsIn(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const steers =
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      [0x061c, 0x200e, 0x200f, 0x2028, 0x2029].includes(code) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069);
    if (steers) found.push(`U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  return found;
}
