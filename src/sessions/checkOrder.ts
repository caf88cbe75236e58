/** What the order links: each live session to the one checked just before it and just after it. */
export interface Linked<T> {
  older: T | undefined;
  newer: T | undefined;
}

/**
 * Live sessions in the order of their last check, walkable from either end: the idle sweep and
 * the eviction take from the oldest end, `/admin/sessions` lists from the newest end and stops
 * at its limit. The links sit on the sessions themselves, so a repeated check moves its session
 * to the newest end with a few assignments and allocates nothing (a Map's delete and set, which
 * kept this order before, left a hole per check that a rehash of the whole table later cleared).
 */
export class CheckOrder<T extends Linked<T>> {
  private oldestItem: T | undefined;
  private newestItem: T | undefined;

  get oldest(): T | undefined {
    return this.oldestItem;
  }

  /**
   * The most recently checked: walk on by `older`, as from `oldest` by `newer` (plain walks, no iterator: a walk may
   * pass 100,000).
   */
  get newest(): T | undefined {
    return this.newestItem;
  }

  /** `item`, not in the order yet, as the newest. */
  append(item: T): void {
    item.older = this.newestItem;
    item.newer = undefined;
    if (this.newestItem) this.newestItem.newer = item;
    else this.oldestItem = item;
    this.newestItem = item;
  }

  /** `item`, in the order, moved to the newest end. */
  moveToNewest(item: T): void {
    if (item === this.newestItem) return;
    this.remove(item);
    this.append(item);
  }

  /** `item` taken out of the order. */
  remove(item: T): void {
    if (item.older) item.older.newer = item.newer;
    else this.oldestItem = item.newer;
    if (item.newer) item.newer.older = item.older;
    else this.newestItem = item.older;
    item.older = undefined;
    item.newer = undefined;
  }
}
