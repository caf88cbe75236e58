/**
 * The status page at `GET /` of the admin listener: one self-contained page
 * (no build step, nothing loaded from elsewhere) that reads `/admin/status`,
 * `/admin/sessions` and `/admin/stats*` with the browser's cookie and redraws
 * itself every few seconds. Everything from the bridge goes in as text
 * (textContent), never as markup: session fields come from viewers.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>iptv-auth-bridge status</title>
<style>
  :root { --ok: #1b7f3b; --bad: #c62828; --warn: #b26a00; --muted: #5f6b7a; --line: #d9dee5; --bg: #f5f7fa; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    color: #1d2733; background: var(--bg); }
  header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap;
    padding: 14px 24px; background: #1d2733; color: #fff; }
  header h1 { font-size: 20px; margin: 0; font-weight: 600; }
  header .meta { color: #c5cdd8; font-size: 13px; }
  main { padding: 18px 24px; display: grid; gap: 18px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  .badge { display: inline-block; padding: 3px 12px; border-radius: 999px;
    font-weight: 700; font-size: 14px; color: #fff; }
  .ok { background: var(--ok); } .bad { background: var(--bad); } .warn { background: var(--warn); }
  .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 10px; }
  .tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
  .tile .n { font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; }
  .tile .l { color: var(--muted); font-size: 13px; }
  .tile.alarm { border-color: var(--bad); background: #fdecea; }
  .tile.alarm .n { color: var(--bad); }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  /* A name is the viewer's or the middleware's to choose, of any length: cut short, whole in its title. */
  td { max-width: 32ch; overflow: hidden; text-overflow: ellipsis; }
  th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; }
  tr.failing td { background: #fdecea; }
  tr.failing td.state { color: var(--bad); font-weight: 700; }
  td.state.healthy { color: var(--ok); font-weight: 700; }
  .empty { color: var(--muted); font-style: italic; }
  .unavailable { color: var(--bad); }
  #chart svg { width: 100%; height: 180px; display: block; }
  #banner { display: none; padding: 10px 24px; background: var(--bad); color: #fff; font-weight: 600; }
  footer { padding: 0 24px 18px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<header>
  <h1>iptv-auth-bridge</h1>
  <span id="health" class="badge warn">loading</span>
  <span class="meta" id="meta"></span>
</header>
<div id="banner"></div>
<main>
  <section class="wide">
    <h2>Decisions per second</h2>
    <div class="tiles" id="rates"></div>
  </section>
  <section class="wide">
    <h2>Backends</h2>
    <table><thead><tr><th>backend</th><th>type</th><th>state</th><th>circuit</th>
      <th>last outcome</th><th>latency</th><th>requests</th><th>failed</th></tr></thead>
    <tbody id="backends"></tbody></table>
    <p class="meta" id="store"></p>
  </section>
  <section>
    <h2>Live sessions</h2>
    <div id="sessions"></div>
  </section>
  <section>
    <h2>Top channels</h2>
    <div id="channels"></div>
  </section>
  <section class="wide" id="chartSection" hidden>
    <h2>Concurrent viewers, last 6 hours</h2>
    <div id="chart"></div>
  </section>
</main>
<footer id="footer"></footer>
<script>
"use strict";
const REFRESH_MS = 3000;
const SESSION_ROWS = 15;
let previous;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
function fill(id, nodes) { document.getElementById(id).replaceChildren(...nodes); }
function table(head, rows) {
  if (rows.length === 0) return [el('p', 'none', 'empty')];
  const t = el('table');
  const tr = el('tr'); head.forEach((h) => tr.append(el('th', h)));
  t.append(el('thead')); t.tHead.append(tr);
  const body = el('tbody');
  rows.forEach((cells) => {
    const r = el('tr');
    cells.forEach((c) => { const cell = el('td', c); cell.title = cell.textContent; r.append(cell); });
    body.append(r);
  });
  t.append(body);
  return [t];
}
// A bridge that stops answering (stopped, wedged) holds the request open: without a limit the page would go on
// showing its last, good reading.
const ANSWER_MS = 5000;
async function get(path) {
  const giveUp = new AbortController();
  const timer = setTimeout(() => giveUp.abort(), ANSWER_MS);
  try {
    const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', signal: giveUp.signal });
    if (res.status === 401) throw new Error('the admin token is needed: open /?token=<admin.token>');
    if (!res.ok) {
      const said = await res.json().then((body) => body.error, () => undefined);
      throw new Error(path + ' answered ' + res.status + (said ? ': ' + said : ''));
    }
    return await res.json();
  } catch (error) {
    if (giveUp.signal.aborted) throw new Error(path + ' did not answer within ' + ANSWER_MS / 1000 + ' s');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
// A part the bridge cannot give now (the statistics database is down, say) says so in its own place; the rest of
// the page, and the badge, stay what /admin/status says.
async function part(id, draw) {
  try {
    return await draw();
  } catch (error) {
    fill(id, [el('p', 'unavailable: ' + error.message, 'empty unavailable')]);
    return undefined;
  }
}
function duration(seconds) {
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600), m = Math.floor(seconds % 3600 / 60);
  return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm';
}
function rate(now, before, key, seconds) {
  if (!before || seconds <= 0) return '–';
  return ((now[key] - before[key]) / seconds).toFixed(1);
}
function tile(label, value, alarm) {
  const t = el('div', undefined, 'tile' + (alarm ? ' alarm' : ''));
  t.append(el('div', value, 'n'), el('div', label, 'l'));
  return t;
}

function drawHealth(status) {
  const badge = document.getElementById('health');
  const failing = status.backends.filter((b) => b.failing).length;
  // A backend whose last request failed is failing though its circuit is still closed: not healthy.
  const healthy = status.status === 'ok' && failing === 0;
  let text = healthy ? 'HEALTHY' : 'DEGRADED';
  if (status.readiness !== 'serving') text = status.readiness.toUpperCase();
  if (failing > 0) text += ' · ' + failing + ' backend' + (failing > 1 ? 's' : '') + ' failing';
  badge.textContent = text;
  badge.className = 'badge ' + (healthy && status.readiness === 'serving' ? 'ok' : 'bad');
  const reload = status.lastReload ? ' · last reload ' + status.lastReload.result + ' at ' + status.lastReload.at : '';
  const digest = status.config.sha256 ? ' (' + status.config.sha256.slice(0, 12) + ')' : '';
  document.getElementById('meta').textContent = 'v' + status.version + ' · up ' + duration(status.uptimeSeconds) +
    ' · ' + status.config.file + digest + reload;
}

function drawRates(status) {
  const d = status.decisions, at = Date.parse(status.now);
  const seconds = previous ? (at - previous.at) / 1000 : 0;
  const before = previous && previous.decisions;
  const defaultsRate = rate(d, before, 'defaults', seconds);
  const lookups = d.cache.hit + d.cache.stale + d.cache.miss;
  fill('rates', [
    tile('allowed / s', rate(d, before, 'allow', seconds)),
    tile('denied / s', rate(d, before, 'deny', seconds)),
    tile('refused / s', rate(d, before, 'refused', seconds)),
    tile('default answers / s', defaultsRate, defaultsRate !== '–' && Number(defaultsRate) > 0),
    tile('default answers, total', d.defaults, d.defaults > 0),
    tile('cache hit ratio', lookups ? Math.round(100 * (d.cache.hit + d.cache.stale) / lookups) + ' %' : '–'),
    tile('live sessions', status.sessions ? status.sessions.live : 'not tracked'),
  ]);
  previous = { at, decisions: d };
}

function drawBackends(status) {
  const rows = status.backends.map((b) => {
    const r = el('tr', undefined, b.failing ? 'failing' : '');
    const state = el('td', b.failing ? 'FAILING' : 'OK', 'state' + (b.failing ? '' : ' healthy'));
    r.append(el('td', b.name), el('td', b.type || ''), state, el('td', b.circuit),
      el('td', b.lastOutcome || 'not asked yet'),
      el('td', b.latencyMs == null ? '–' : b.latencyMs + ' ms'),
      el('td', b.requests || 0), el('td', b.failures || 0));
    return r;
  });
  if (rows.length === 0) {
    const r = el('tr'); const c = el('td', 'no backends configured', 'empty'); c.colSpan = 8; r.append(c); rows.push(r);
  }
  fill('backends', rows);
  const s = status.store;
  document.getElementById('store').textContent = 'store: ' + s.store + ' — ' +
    (s.ok ? 'up' : 'DOWN') + (s.detail ? ' (' + s.detail + ')' : '');
}

async function drawSessions(status) {
  if (!status.sessions) { fill('sessions', [el('p', 'sessions are not tracked by this bridge', 'empty')]); return []; }
  // Bounded: a page redrawn every few seconds must not pull every session of a large bridge.
  // Listed most recently seen first: the rows shown are the sessions being watched now.
  const { count, sessions } = await get('/admin/sessions?limit=1000');
  const shown = sessions.slice(0, SESSION_ROWS).map((s) => [s.user || '–', s.channel || '–', s.route,
    s.decision, s.by, s.lastSeen.slice(11, 19)]);
  const parts = table(['user', 'channel', 'route', 'decision', 'by', 'last seen'], shown);
  if (count > shown.length) {
    const more = el('p', (count - shown.length) + ' more not shown', 'meta');
    more.id = 'sessionsMore';
    parts.push(more);
  }
  fill('sessions', parts);
  return sessions;
}

async function drawChannels(status, sessions) {
  let rows;
  if (status.statistics) {
    const stats = await get('/admin/stats?by=channel&since=24h');
    rows = [...stats.rows].sort((a, b) => b.viewers - a.viewers).slice(0, 10).map((r) => [r.key, r.viewers, r.sessions,
        Math.round(r.watchSeconds / 60) + ' min', r.peakConcurrent]);
    fill('channels', table(['channel (24 h)', 'viewers', 'sessions', 'watched', 'peak'], rows));
    return;
  }
  const live = new Map();
  if (!sessions) throw new Error('the live sessions could not be read');
  sessions.forEach((s) => live.set(s.channel || '–', (live.get(s.channel || '–') || 0) + 1));
  rows = [...live].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([channel, n]) => [channel, n]);
  fill('channels', status.sessions ? table(['channel', 'live sessions'], rows)
    : [el('p', 'needs session tracking', 'empty')]);
}

async function drawChart(status) {
  const section = document.getElementById('chartSection');
  section.hidden = !status.statistics;
  if (!status.statistics) return;
  const { points } = await get('/admin/stats/concurrency?since=6h&step=300');
  const ns = 'http://www.w3.org/2000/svg', W = 1000, H = 180, pad = 30;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.setAttribute('preserveAspectRatio', 'none');
  const max = Math.max(1, ...points.map((p) => p.viewers));
  const x = (i) => pad + (points.length > 1 ? i * (W - 2 * pad) / (points.length - 1) : 0);
  const y = (v) => H - pad - v * (H - 2 * pad) / max;
  const axis = document.createElementNS(ns, 'path');
  axis.setAttribute('d', 'M' + pad + ' ' + (H - pad) + ' H' + (W - pad) + ' M' + pad + ' ' + pad + ' V' + (H - pad));
  axis.setAttribute('stroke', '#b8c1cc'); axis.setAttribute('fill', 'none');
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.map((p, i) => x(i) + ',' + y(p.viewers)).join(' '));
  line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#1565c0'); line.setAttribute('stroke-width', '3');
  svg.append(axis, line);
  // Text goes below the drawing, which is stretched to the page's width and would stretch letters too.
  const time = (p) => p ? new Date(p.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '–';
  const caption = el('p', 'peak ' + max + ' viewers · ' + time(points[0]) +
    ' to ' + time(points[points.length - 1]), 'meta');
  caption.id = 'chartCaption';
  fill('chart', [svg, caption]);
}

async function refresh() {
  const banner = document.getElementById('banner');
  try {
    const status = await get('/admin/status');
    drawHealth(status); drawRates(status); drawBackends(status);
    const sessions = await part('sessions', () => drawSessions(status));
    await part('channels', () => drawChannels(status, sessions));
    await part('chart', () => drawChart(status));
    banner.style.display = 'none';
    document.getElementById('footer').textContent = 'refreshes every ' + REFRESH_MS / 1000 + ' s · updated ' +
      new Date().toLocaleTimeString();
    document.body.dataset.updated = String(Date.now());
  } catch (error) {
    banner.textContent = 'Cannot read the bridge status: ' + error.message;
    banner.style.display = 'block';
    const badge = document.getElementById('health');
    badge.textContent = 'UNREACHABLE'; badge.className = 'badge bad';
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}
refresh();
</script>
</body>
</html>
`;
