'use strict';
/*
 * What the bundle gets for `import ... from 'undici'` (see build.ts): the dispatcher the middleware client runs on
 * and its connector, without the rest of undici's index (fetch, WebSocket, EventSource, cookies, the cache and mock
 * agents), which every `serve` parsed and ran at start: about 70 ms of CPU, half of undici's load.
 */
const Agent = require('undici/lib/dispatcher/agent');
const buildConnector = require('undici/lib/core/connect');
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const api = require('undici/lib/api');

// As undici's index does: every dispatcher gets request(), stream(), pipeline(), connect() and upgrade().
Object.assign(Dispatcher.prototype, api);

module.exports = {
  Agent,
  buildConnector,
  // The streaming servers' API client (astraApi.ts) runs on undici's global dispatcher, which its index sets up:
  // loaded from node_modules (external to the bundle) when a streaming server is first asked.
  request: (...args) => require('undici').request(...args),
};
