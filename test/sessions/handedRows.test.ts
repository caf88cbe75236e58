import { describe, expect, it } from 'vitest';
import { HandedRows } from '../../src/sessions/handedRows.js';
import type { SessionRow } from '../../src/sessions/types.js';

const ROW: SessionRow = {
  id: 'id-1',
  route: 'default',
  protocol: 'cesbo',
  session: 's1',
  firstSeen: 0,
  lastSeen: 0,
  decision: 'allow',
  by: 'backend',
  allowed: true,
};

describe('HandedRows', () => {
  it('changes a row nobody else holds in place', () => {
    const held = { row: { ...ROW } };
    const before = held.row;
    new HandedRows().own(held).lastSeen = 5;
    expect(held.row).toBe(before);
    expect(held.row.lastSeen).toBe(5);
  });

  it('copies a row handed out before it changes, and changes the copy from then on', () => {
    const rows = new HandedRows();
    const held = { row: { ...ROW } };
    const handed = rows.handOut(held.row);
    rows.own(held).lastSeen = 5;
    expect(handed.lastSeen).toBe(0);
    expect(held.row).not.toBe(handed);
    const copy = held.row;
    rows.own(held).lastSeen = 6;
    expect(held.row).toBe(copy);
    expect(held.row.lastSeen).toBe(6);
  });
});
