import { describe, expect, it } from 'vitest';
import { CheckOrder, type Linked } from '../../src/sessions/checkOrder.js';

interface Item extends Linked<Item> {
  readonly name: string;
}

const item = (name: string): Item => ({ name, older: undefined, newer: undefined });

function ordered(...names: string[]) {
  const order = new CheckOrder<Item>();
  const items = new Map(names.map((name) => [name, item(name)]));
  for (const each of items.values()) order.append(each);
  const oldestFirst = () => {
    const seen: string[] = [];
    for (let each = order.oldest; each; each = each.newer) seen.push(each.name);
    return seen;
  };
  const newestFirst = () => {
    const seen: string[] = [];
    for (let each = order.newest; each; each = each.older) seen.push(each.name);
    return seen;
  };
  return { order, items, oldestFirst, newestFirst };
}

describe('CheckOrder', () => {
  it('keeps the order of appends, walkable from either end', () => {
    const { order, oldestFirst, newestFirst } = ordered('a', 'b', 'c');
    expect(oldestFirst()).toEqual(['a', 'b', 'c']);
    expect(newestFirst()).toEqual(['c', 'b', 'a']);
    expect(order.oldest?.name).toBe('a');
    expect(order.newest?.name).toBe('c');
  });

  it('moves an item checked again to the newest end, from the front, the middle or the end', () => {
    const { order, items, oldestFirst, newestFirst } = ordered('a', 'b', 'c', 'd');
    order.moveToNewest(items.get('a')!);
    expect(oldestFirst()).toEqual(['b', 'c', 'd', 'a']);
    order.moveToNewest(items.get('c')!);
    expect(oldestFirst()).toEqual(['b', 'd', 'a', 'c']);
    order.moveToNewest(items.get('c')!);
    expect(newestFirst()).toEqual(['c', 'a', 'd', 'b']);
  });

  it('takes items out from anywhere, down to none', () => {
    const { order, items, oldestFirst, newestFirst } = ordered('a', 'b', 'c');
    order.remove(items.get('b')!);
    expect(oldestFirst()).toEqual(['a', 'c']);
    expect(items.get('b')).toMatchObject({ older: undefined, newer: undefined });
    order.remove(items.get('a')!);
    order.remove(items.get('c')!);
    expect(oldestFirst()).toEqual([]);
    expect(newestFirst()).toEqual([]);
    expect(order.oldest).toBeUndefined();
    order.append(items.get('b')!);
    expect(newestFirst()).toEqual(['b']);
  });
});
