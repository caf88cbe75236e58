import { describe, expect, it } from 'vitest';
import {
  maskNamedSecrets,
  maskNamedSecretsInQuery,
  namedSecretsIn,
  secretValueForms,
  shownChannel,
} from '../src/secretText.js';

describe('maskNamedSecrets', () => {
  it('keeps a text without named secrets byte for byte, odd encodings included', () => {
    for (const text of ['/play/a001/index.m3u8', 'VLC/3.0 LibVLC', 'http://live.example:8000', 'a=%E0%A4%A&b=1+2', ''])
      expect(maskNamedSecrets(text)).toBe(text);
  });

  it('masks user info, query and fragment values of absolute and relative URLs, and bare queries', () => {
    expect(maskNamedSecrets('rtmp://pub:Pw%40d@host/app?key=K')).toBe('rtmp://***@host/app?key=***');
    expect(maskNamedSecrets('promo/page?password=x&ch=1')).toBe('promo/page?password=***&ch=1');
    expect(maskNamedSecrets('token=T&name=a001')).toBe('token=***&name=a001');
    expect(maskNamedSecrets('/p#id_token=T')).toBe('/p#id_token=***');
  });

  it('looks into URL values nested in a query, and no deeper than a bound when hostile', () => {
    const inner = encodeURIComponent(`http://portal/?qs=${encodeURIComponent('token=DEEP')}`);
    expect(maskNamedSecretsInQuery(`referer=${inner}`)).toBe(
      `referer=${encodeURIComponent(`http://portal/?qs=${encodeURIComponent('token=***')}`)}`,
    );
    let nested = 'token=T';
    for (let level = 0; level < 30; level++) nested = `u=${encodeURIComponent(nested)}`;
    expect(() => maskNamedSecretsInQuery(nested)).not.toThrow();
  });
});

describe('namedSecretsIn', () => {
  it('gives each secret as it stands and decoded, the user info whole', () => {
    expect(namedSecretsIn('http://u:P%40W@x/?md5=a%2Bb&expires=9&pin=')).toEqual(['u:P%40W', 'u:P@W', 'a%2Bb', 'a+b']);
    expect(namedSecretsIn('/play/a001/index.m3u8')).toEqual([]);
  });
});

describe('secretValueForms', () => {
  it('adds URL-encoded forms, drops too short ones, longest first', () => {
    expect(secretValueForms(['ab', 'vip:pa55', 'pa55'])).toEqual(['vip%3Apa55', 'vip:pa55', 'pa55']);
  });
});

describe('shownChannel', () => {
  it('hands a plain channel back as it is, and masks the named secrets of one that carries a query', () => {
    expect(shownChannel('a001')).toBe('a001');
    expect(shownChannel(undefined)).toBeUndefined();
    expect(shownChannel('a001?token=good-LEAK4&lang=en')).toBe('a001?token=***&lang=en');
    expect(shownChannel('token=good-LEAK9')).toBe('token=***');
    expect(shownChannel('rtmp://viewer:pw@host/a001')).toBe('rtmp://***@host/a001');
  });

  it('masks user info without a scheme, and secret-named path parameters', () => {
    expect(shownChannel('//viewer:pw-LEAK1@host/news')).toBe('//***@host/news');
    expect(shownChannel('viewer:pw-LEAK2@news')).toBe('***@news');
    expect(shownChannel('sport@hd')).toBe('sport@hd');
    expect(shownChannel('index.m3u8;jsessionid=LEAK3')).toBe('index.m3u8;jsessionid=***');
    expect(shownChannel('news;jsessionid=LEAK4;lang=en')).toBe('news;jsessionid=***;lang=en');
  });

  it("masks the viewer's own token wherever it stands in the channel; a short one only as the whole channel", () => {
    expect(shownChannel('bobChanLEAK5', 'bobChanLEAK5')).toBe('***');
    expect(shownChannel('live/bobChanLEAK5/hd', 'bobChanLEAK5')).toBe('live/***/hd');
    expect(shownChannel('a001', 'a1')).toBe('a001');
    expect(shownChannel('a1', 'a1')).toBe('***');
    expect(shownChannel('a001', undefined)).toBe('a001');
  });
});
