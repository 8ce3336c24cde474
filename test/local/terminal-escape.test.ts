import { describe, expect, it } from 'vitest';
import { escapeForTerminal } from '../../local/terminal-escape.ts';
import { terminalControlsIn } from '../support/terminal-controls.ts';

describe('escapeForTerminal', () => {
  it.each([
    ['ESC, which starts an ANSI sequence', 'a\x1b[2Jb', 'a\\x1b[2Jb'],
    ['an OSC title sequence ended by BEL', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['CR, which returns to the start of the line', 'fake\roverwrite', 'fake\\roverwrite'],
    ['LF, which forges a new line', 'x\n▲ OPENED', 'x\\n▲ OPENED'],
    ['NUL', 'a\0b', 'a\\x00b'],
    ['TAB and backspace', 'a\tb\bc', 'a\\tb\\x08c'],
    ['DEL', 'a\x7fb', 'a\\x7fb'],
    ['C1 CSI (U+009B), ESC [ on some terminals', 'a\u009b2Jb', 'a\\x9b2Jb'],
    ['C1 NEL (U+0085), a line break', 'a\u0085b', 'a\\x85b'],
    ['the line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['a right-to-left override', 'txt.\u202Eexe', 'txt.\\u202eexe'],
    [
      'the bidi isolates and marks',
      '\u2066\u2067\u2068\u2069\u200e\u200f\u061c',
      '\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c',
    ],
  ])('escapes %s', (_what, text, expected) => {
    expect(escapeForTerminal(text)).toBe(expected);
  });

  it('keeps printable text of every script, emoji sequences and backslashes as they are', () => {
    // Prepare
    const text = 'host-1/cpu.user µs Ωmega 東京 مرحبا 👩‍💻 C:\\temp "q" ~';

    // Act
    const escaped = escapeForTerminal(text);

    // Assess: the very same string, not a copy with changes.
    expect(escaped).toBe(text);
  });

  it('leaves no character below U+0020, in U+007F..U+009F or among U+2028/U+2029 and the bidi controls', () => {
    // Prepare: every code unit from 0 to U+2FFF.
    const all = Array.from({ length: 0x3000 }, (_, i) => String.fromCharCode(i)).join('');

    // Act
    const escaped = escapeForTerminal(all);

    // Assess
    expect(terminalControlsIn(escaped)).toEqual([]);
    expect(escaped).toContain('A');
  });
});
