import type { StreamingServerConfig } from '../config/streamingServersSchema.js';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import type { SessionTracker } from '../sessions/tracker.js';
import { belongsTo, type ViewerIdentity } from '../sessions/trackedSession.js';
import { createAstraApi } from './astraApi.js';
import { AstraConnector, type ConnectorState } from './astraConnector.js';

/** What a revoke closed: each session by server, route and session id (no token). */
export interface ClosedSessions {
  readonly closed: readonly {
    readonly server: string;
    readonly route: string;
    readonly session: string;
    readonly user?: string;
  }[];
}

export interface Connectors {
  /** Each server's API state, for `/admin/status`. */
  states(): ConnectorState[];
  /** Closes every live session of the viewer on the servers that have an API (the admin revoke). */
  closeViewer(identity: ViewerIdentity): Promise<ClosedSessions>;
  /** Polls every server now; resolves when all have answered or failed. */
  poll(): Promise<void>;
  close(): void;
}

/** One connector per `streamingServers` entry; they poll on their own from the start. */
export function createConnectors(
  servers: Readonly<Record<string, StreamingServerConfig>>,
  tracker: SessionTracker,
  clock: Clock,
  log: Logger,
): Connectors {
  // A user's limit counts their sessions on every server, not on each one apart (and each session once, however
  // many servers on one host list a session of that id).
  const listedEverywhere = () => [
    ...new Map(connectors.flatMap((connector) => connector.listed()).map((session) => [session.key, session])).values(),
  ];
  const listedByAnother = (key: string, self: AstraConnector) =>
    connectors.some((connector) => connector !== self && connector.lists(key));
  const connectors: AstraConnector[] = Object.entries(servers).map(
    ([name, config]) =>
      new AstraConnector({
        name,
        config,
        api: createAstraApi(config),
        tracker,
        clock,
        log,
        listedEverywhere,
        listedByAnother,
      }),
  );
  for (const connector of connectors) void connector.poll();
  return {
    states: () => connectors.map((c) => c.state()),
    async closeViewer(identity) {
      const theirs = tracker.find((session) => belongsTo(session, identity));
      const closed = await Promise.all(
        connectors.map(async (connector) => {
          const done = await connector.close(
            theirs.filter((session) => connector.owns(session)),
            'revoked',
          );
          return done.map(({ row }) => ({
            server: connector.state().name,
            route: row.route,
            session: row.session,
            user: row.user,
          }));
        }),
      );
      return { closed: closed.flat() };
    },
    poll: async () => {
      await Promise.all(connectors.map((c) => c.poll()));
    },
    close: () => {
      for (const c of connectors) c.stop();
    },
  };
}
