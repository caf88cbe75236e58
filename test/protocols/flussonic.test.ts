import { describe, expect, it } from 'vitest';
import { flussonicCaller, flussonicWriter } from '../../src/protocols/flussonic.js';
import type { ViewerRequest } from '../../src/viewer.js';
import { astraViewer as astra, incoming, LIMITS, received, urlOf } from './support.js';
import { sketched } from '../support/decisions.js';

const astraViewer: ViewerRequest = { ...astra, caller: '10.0.0.5' };

describe('asking a Flussonic-style backend as Flussonic asks', () => {
  it('sends the viewer as query parameters, proto from the path', () => {
    const outbound = flussonicWriter()(new URL('http://mw/auth'), astraViewer);
    const { headers } = outbound;
    expect([...urlOf(outbound).searchParams]).toEqual([
      ['name', 'a001'],
      ['ip', '203.0.113.7'],
      ['token', 'abc+def'],
      ['proto', 'hls'],
      ['session_id', '12345'],
      ['request_type', 'new_session'],
      ['request_number', '1'],
      ['user_agent', 'VLC/3.0'],
      ['host', 'tv.example.com'],
      ['qs', 'token=abc%2Bdef&lang=en'],
    ]);
    expect(headers).toEqual({});
  });

  it("passes a Flussonic caller's own proto and request details through", () => {
    const url = urlOf(
      flussonicWriter()(new URL('http://mw/auth'), {
        dialect: 'flussonic',
        channel: 'sport',
        proto: 'dash',
        requestType: 'update_session',
        requestNumber: '3',
        referer: 'http://site/',
        rawQuery: '',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      name: 'sport',
      ip: '',
      token: '',
      proto: 'dash',
      session_id: '',
      request_type: 'update_session',
      request_number: '3',
      user_agent: '',
      host: '',
      qs: '',
      referer: 'http://site/',
    });
  });

  it('encodes non-ASCII parameters as UTF-8 and takes the host from an Alta origin', () => {
    const url = urlOf(
      flussonicWriter()(new URL('http://mw/auth'), {
        dialect: 'cesbo',
        channel: 'первый',
        origin: 'https://tv.example.com:8443',
        rawQuery: '',
      }),
    );
    expect(url.searchParams.get('name')).toBe('первый');
    expect(url.search).toContain('name=%D0%BF%D0%B5%D1%80%D0%B2%D1%8B%D0%B9');
    expect(url.searchParams.get('host')).toBe('tv.example.com:8443');
  });
});

describe('request_type and request_number for callers that do not send them', () => {
  it('new_session the first time a (caller, session) is asked about, update_session after, numbered', () => {
    const write = flussonicWriter();
    const turn = (viewer: ViewerRequest) => {
      const params = urlOf(write(new URL('http://mw/auth'), viewer)).searchParams;
      return [params.get('request_type'), params.get('request_number')];
    };
    expect(turn(astraViewer)).toEqual(['new_session', '1']);
    expect(turn(astraViewer)).toEqual(['update_session', '2']);
    expect(turn(astraViewer)).toEqual(['update_session', '3']);
    // The same session id from another streaming server is another session.
    expect(turn({ ...astraViewer, caller: '10.0.0.6' })).toEqual(['new_session', '1']);
    // Without a session id every check is a new session.
    expect(turn({ ...astraViewer, session: undefined })).toEqual(['new_session', '1']);
    expect(turn({ ...astraViewer, session: undefined })).toEqual(['new_session', '1']);
  });

  it('a session idle for a day is new again (time injected)', () => {
    let now = 1_700_000_000_000;
    const write = flussonicWriter(() => now);
    const type = () => urlOf(write(new URL('http://mw/auth'), astraViewer)).searchParams.get('request_type');
    expect(type()).toBe('new_session');
    now += 86_400_000;
    expect(type()).toBe('update_session');
    now += 86_400_001;
    expect(type()).toBe('new_session');
  });

  it("a Flussonic caller's own request_type and request_number pass as they came, never counted", () => {
    const write = flussonicWriter();
    const viewer: ViewerRequest = {
      dialect: 'flussonic',
      session: '7',
      requestType: 'update_session',
      requestNumber: '12',
      rawQuery: '',
    };
    for (let i = 0; i < 2; i++) {
      const params = urlOf(write(new URL('http://mw/auth'), viewer)).searchParams;
      expect([params.get('request_type'), params.get('request_number')]).toEqual(['update_session', '12']);
    }
  });
});

describe('a Flussonic caller read back', () => {
  const flussonicTarget =
    '/flussonic?name=sport&ip=203.0.113.7&token=t1&proto=hls&session_id=42&request_type=new_session&request_number=1' +
    '&user_agent=VLC&host=tv.example.com&qs=token%3Dt1&media_request=vod&type=hls&stream_clients=3&total_clients=9&duration=0&dvr=false&bytes=0';

  it('round trip: the parameters the bridge sends as Flussonic read back as the same viewer', () => {
    const first = flussonicCaller.read(incoming(flussonicTarget), '10.0.0.5', LIMITS);
    const again = flussonicCaller.read(
      received(flussonicWriter()(new URL('http://bridge/flussonic'), first)),
      '10.0.0.5',
      LIMITS,
    );
    expect({ ...again, callerParams: undefined }).toEqual({ ...first, callerParams: undefined });
    expect([...again.callerParams!]).toEqual([...first.callerParams!]);
  });

  it('every parameter the bridge does not set itself passes through unchanged, in order', () => {
    const viewer = flussonicCaller.read(incoming(`${flussonicTarget}&x-custom=%D0%B0`), undefined, LIMITS);
    const params = [...urlOf(flussonicWriter()(new URL('http://mw/auth'), viewer)).searchParams].slice(10);
    expect(params).toEqual([
      ['media_request', 'vod'],
      ['type', 'hls'],
      ['stream_clients', '3'],
      ['total_clients', '9'],
      ['duration', '0'],
      ['dvr', 'false'],
      ['bytes', '0'],
      ['x-custom', 'а'],
    ]);
  });

  it("proto is the caller's proto, else its type, else from the path", () => {
    const proto = (target: string) => flussonicCaller.read(incoming(target), undefined, LIMITS).proto;
    expect(proto('/flussonic?name=a&proto=dash&type=hls')).toBe('dash');
    expect(proto('/flussonic?name=a&type=mpegts')).toBe('mpegts');
    const viewer = flussonicCaller.read(incoming('/flussonic?name=a'), undefined, LIMITS);
    expect(urlOf(flussonicWriter()(new URL('http://mw/auth'), viewer)).searchParams.get('proto')).toBe('http');
  });

  it('answers X-AuthDuration, X-Max-Sessions, X-Unique, and X-UserId only when it is a number', () => {
    const allow = {
      allow: true,
      decidedBy: 'backend:mw',
      ttlSeconds: 120,
      sessionName: 'alice',
      userId: '42',
      maxSessions: 2,
      unique: true,
    };
    expect(flussonicCaller.answerHeaders(sketched(allow))).toEqual({
      'X-Session-Name': 'alice',
      'X-AuthDuration': '120',
      'X-UserId': '42',
      'X-Max-Sessions': '2',
      'X-Unique': 'true',
    });
    expect(flussonicCaller.answerHeaders(sketched({ ...allow, userId: 'stb-00:1a:79' }))).not.toHaveProperty(
      'X-UserId',
    );
    expect(flussonicCaller.answerHeaders(sketched({ ...allow, userId: '-1' }))).not.toHaveProperty('X-UserId');
    expect(flussonicCaller.answerHeaders(sketched({ allow: false, decidedBy: 'default', ttlSeconds: 30 }))).toEqual({
      'X-AuthDuration': '30',
    });
  });
});
