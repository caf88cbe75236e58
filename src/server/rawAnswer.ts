/**
 * A complete HTTP answer written straight to a socket, for requests Node could
 * not parse (there is no ServerResponse to answer them with). It always closes
 * the connection: after a request that could not be read, the caller's next
 * bytes cannot be trusted to start a request.
 */
export function rawAnswer(status: string, reason: string, extra = ''): string {
  const body = `${reason}\n`;
  return `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n${extra}Connection: close\r\n\r\n${body}`;
}
