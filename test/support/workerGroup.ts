import { expect, vi } from 'vitest';

/** A worker's part of `/admin/status` under `serve --workers N`. */
export interface WorkerPart {
  readonly slot: number;
  readonly pid: number;
  readonly error?: string;
  readonly decisions?: { readonly allow: number; readonly deny: number; readonly refused: number };
}

/** The admin listener's URL, from the lead worker's "admin listener started" line (it may follow the primary's "listening"). */
export async function adminUrlOf(output: () => string): Promise<string> {
  const line = () =>
    output()
      .split('\n')
      .find((each) => each.includes('admin listener started'));
  await vi.waitFor(() => expect(line()).toBeDefined(), { timeout: 10_000 });
  return `http://${(JSON.parse(line()!) as { address: string }).address}`;
}

export async function workersOf(admin: string): Promise<WorkerPart[]> {
  const status = (await (await fetch(`${admin}/admin/status`)).json()) as { workers: WorkerPart[] };
  return status.workers;
}

/** Checks each worker has answered, by slot: which worker answered a check is the one whose count moved. */
export async function answeredBySlot(admin: string): Promise<Map<number, number>> {
  const answered = ({ decisions: d }: WorkerPart) => (d?.allow ?? 0) + (d?.deny ?? 0) + (d?.refused ?? 0);
  return new Map((await workersOf(admin)).map((worker) => [worker.slot, answered(worker)]));
}
