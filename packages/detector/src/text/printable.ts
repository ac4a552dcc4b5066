/**
 * Text a remote party wrote (a server's error message, a model name), made safe
 * to show on a terminal or in a report: terminal escape sequences (CSI, OSC and
 * the other ESC forms) are removed whole, then every remaining control character
 * (C0, DEL, C1), line break and bidi override becomes a visible `?`, so a remote
 * message can neither move the cursor, rewrite earlier lines, start a line of its
 * own (a forged `watermark DETECTED`) nor reorder what is shown.
 */
// ESC [ ... final byte; ESC ] ... BEL or ESC \ (and the 8-bit CSI/OSC forms); ESC + one char.
const ESCAPES = /(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[\x20-\x7e]?/g
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export function printable(text: string, maxLength = 500): string {
  const clean = text.replace(ESCAPES, '').replace(CONTROLS, '?')
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean
}
