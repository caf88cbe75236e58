/**
 * The first option `parseArgs` read more than once (from its `tokens`), or undefined: a command refuses it
 * (`stats --since 24h --since 1h`) rather than keep the last one without a word, as the admin routes refuse a
 * parameter given twice.
 */
export function repeatedOption(
  tokens: readonly { readonly kind: string; readonly name?: string }[],
): string | undefined {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    if (seen.has(token.name)) return token.name;
    seen.add(token.name);
  }
  return undefined;
}
