const MAX_HEADER_VALUE = 1024;

/**
 * A value safe to put into an HTTP header: no CR/LF or other control bytes,
 * bounded length. Bytes 0x80-0xFF pass through so UTF-8 names survive the
 * latin1 round trip of Node's header handling.
 */
export function sanitizeHeaderValue(value: string | readonly string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first !== 'string') return undefined;
  const clean = first
    .replace(/\t/g, ' ')
    .replace(/[^\x20-\x7e\x80-\xff]/g, '')
    .trim()
    .slice(0, MAX_HEADER_VALUE);
  return clean === '' ? undefined : clean;
}
