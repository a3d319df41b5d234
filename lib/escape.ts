// Text that came from the system (process names, paths, user and container
// names) made safe for a terminal or a line-based format, as util-linux
// prints it: nothing in it can move the cursor, set a title, start a new line
// or turn the text around, and nothing is lost.

/**
 * What is shown as `\xHH`: C0 controls (newline and tab among them), DEL, C1
 * controls, the backslash itself (so that an escape in the output is always
 * one of ours), the characters that reorder text or end a line (bidi marks,
 * embeddings, overrides and isolates; the line and paragraph separators),
 * and lone surrogates: the library gives a byte that is not UTF-8 as
 * U+DC80 to U+DCFF, as Python's surrogateescape does.
 */
const UNSAFE = /[\0-\x1f\x7f-\x9f\\\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udfff]/gu

function hex(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`
}

function escapeChar(c: string): string {
  const code = c.charCodeAt(0)
  if (code >= 0xdc80 && code <= 0xdcff) return hex(code - 0xdc00)
  if (code >= 0xd800 && code <= 0xdfff) {
    // Any other lone surrogate: its three bytes as WTF-8 writes them.
    return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map(hex).join('')
  }
  return [...Buffer.from(c, 'utf8')].map(hex).join('')
}

/** `text` with every unsafe character shown as the `\xHH` of its bytes. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, escapeChar)
}
