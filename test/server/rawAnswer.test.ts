import { describe, expect, it } from 'vitest';
import { rawAnswer } from '../../src/server/rawAnswer.js';

describe('rawAnswer', () => {
  it('is a whole HTTP answer with its reason as a plain-text body, closing the connection', () => {
    expect(rawAnswer('400 Bad Request', 'malformed request')).toBe(
      'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\nmalformed request\n',
    );
  });

  it('carries extra header lines before Connection', () => {
    expect(rawAnswer('403 Forbidden', 'deny', 'X-Location: http://promo.example/\r\n')).toContain(
      '\r\nX-Location: http://promo.example/\r\nConnection: close\r\n\r\ndeny\n',
    );
  });
});
