/**
 * A middleware's endpoint under the base URL an operator configured, keeping
 * its path prefix, query and credentials. A base that already ends in one of
 * the middleware's endpoints (pasted from a streaming server's manual) counts
 * as the base without it, so the configured protocol still picks the endpoint.
 */
export function endpointUnder(base: string, endpoint: string, knownEndpoints: readonly string[] = [endpoint]): string {
  const url = new URL(base);
  let prefix = url.pathname.replace(/\/+$/, '');
  const pasted = knownEndpoints.map((known) => known.replace(/\/+$/, '')).find((known) => prefix.endsWith(known));
  if (pasted !== undefined) prefix = prefix.slice(0, -pasted.length);
  url.pathname = `${prefix}${endpoint}`;
  return url.href;
}
