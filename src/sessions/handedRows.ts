import type { SessionRow } from './types.js';

/** A session row that may still be changed in place: only before anyone else holds it. */
export type OwnRow = { -readonly [K in keyof SessionRow]: SessionRow[K] };

/**
 * Rows handed out (to the sink, by `rows()`): the statistics writer tells a changed row by its
 * identity, so such a row is copied before it changes. Any other row is updated in place, so
 * a repeated check of a live session allocates nothing.
 */
export class HandedRows {
  private readonly handedOut = new WeakSet<SessionRow>();

  /** `row`, marked as held by someone else from now on. */
  handOut(row: SessionRow): SessionRow {
    this.handedOut.add(row);
    return row;
  }

  /** The session's row, copied first if someone else holds it. */
  own(holder: { row: SessionRow }): OwnRow {
    if (this.handedOut.has(holder.row)) holder.row = { ...holder.row };
    return holder.row as OwnRow;
  }
}
