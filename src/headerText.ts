import { isUtf8 } from 'node:buffer';

/** Longest header value the bridge reads or writes, in characters. */
const MAX_LENGTH = 1024;

/**
 * Printable ASCII with no space at either end: nothing to clean (nearly every value), so it is
 * tested first. Walked by hand: a regular expression's test costs more than walking a short value.
 */
function isPlain(text: string): boolean {
  const last = text.length - 1;
  if (last < 0 || last >= MAX_LENGTH || text.charCodeAt(0) === 0x20 || text.charCodeAt(last) === 0x20) return false;
  for (let i = 0; i <= last; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
  }
  return true;
}

/**
 * Text a middleware names a viewer with, as a decision may carry it (a session name, a user id, a redirect): tabs as
 * spaces, control characters dropped, trimmed, at most 1024 characters; undefined when nothing is left. Headers are
 * read through headerToText, which ends here; an adapter whose body names the viewer passes that text through this.
 */
export function cleanText(text: string): string | undefined {
  const cleaned = text
    .replace(/\t/g, ' ')
    // C0 controls, DEL and C1 controls: never part of a name, a URL or an id.
    .replace(/[\x00-\x1f\x7f-\x9f]/g, '')
    .trim()
    .slice(0, MAX_LENGTH);
  return cleaned === '' ? undefined : cleaned;
}

/**
 * Node and undici hand header values over one character per byte. This turns
 * them into the text they mean (UTF-8 when the bytes are UTF-8, as they are
 * for Cyrillic channel names and logins), cleaned of control characters.
 */
export function headerToText(raw: string | readonly string[] | undefined): string | undefined {
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (typeof first !== 'string') return undefined;
  if (isPlain(first)) return first;
  if (/[\x80-\xff]/.test(first)) {
    const bytes = Buffer.from(first, 'latin1');
    if (isUtf8(bytes)) return cleanText(bytes.toString('utf8'));
  }
  return cleanText(first);
}

/**
 * Text as a header value Node and undici accept, written as UTF-8 bytes: no
 * CR/LF or other controls, bounded length. Undefined when nothing is left.
 */
export function textToHeader(text: string | undefined): string | undefined {
  if (text === undefined || isPlain(text)) return text;
  const cleaned = cleanText(text);
  return cleaned === undefined ? undefined : Buffer.from(cleaned, 'utf8').toString('latin1');
}
