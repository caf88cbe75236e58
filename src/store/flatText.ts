/**
 * `text` as V8 then keeps it: one flat string. Text built by concatenation or slicing is a rope (a
 * string of its pieces, or a slice holding its whole parent alive): a decision key (route prefix
 * and a slice of a digest) is about 160 bytes so, 48 once flat. Reading a character flattens a rope
 * in place, and the next collection drops the pieces. Worth it for what is kept long (a million
 * cached keys), not for what a request drops.
 */
export function flatText(text: string): string {
  text.charCodeAt(0);
  return text;
}
