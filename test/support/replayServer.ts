// The replay server is part of the product (`iptv-auth-bridge replay`); tests use the same code.
export { loadFixtures, type Exchange } from '../../src/replay/fixtures.js';
export { closedPort, startReplayServer, type ReceivedRequest, type ReplayServer } from '../../src/replay/server.js';
