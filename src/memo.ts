/**
 * `compute`, remembered for up to `max` distinct inputs, then started over.
 * For work repeated on every request with inputs that come back again and
 * again (viewers, callers, tokens); an undefined result is not remembered.
 */
export function boundedMemo<V>(compute: (input: string) => V, max: number): (input: string) => V {
  const known = new Map<string, V>();
  return (input) => {
    let value = known.get(input);
    if (value === undefined) {
      value = compute(input);
      if (value === undefined) return value;
      if (known.size >= max) known.clear();
      known.set(input, value);
    }
    return value;
  };
}
