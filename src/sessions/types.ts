/** Why a viewing session ended. */
export type EndReason = 'idle' | 'closed-by-server' | 'revoked' | 'over-limit';

/**
 * One viewing session as it is stored: never a token or a password. Times
 * are milliseconds since the epoch.
 */
export interface SessionRow {
  /** Unique per session start, so several bridges can write to one database. */
  readonly id: string;
  readonly route: string;
  readonly protocol: string;
  readonly caller?: string;
  readonly session: string;
  /** Local login, else the backend's `X-Session-Name`, else its `X-UserId`. */
  readonly user?: string;
  readonly channel?: string;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly decision: 'allow' | 'deny';
  /** Kind of the last check's decision (`backend`, `user`, `ip-rule`, ...). */
  readonly by: string;
  /** Whether any check of the session was allowed: only those were watched. */
  readonly allowed: boolean;
  readonly endedAt?: number;
  readonly endReason?: EndReason;
}

/** Receives every new or changed session row (the statistics writer). */
export type SessionSink = (row: SessionRow) => void;
