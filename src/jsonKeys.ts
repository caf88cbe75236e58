import { createScanner, SyntaxKind, visit } from 'jsonc-parser';

/**
 * What JSON.parse does not say: a key an object names twice. It keeps the last of the two, so
 * `{"login":"alice","login":"bob"}` reads as bob alone and `{"error":1,"error":0}` as no error: whoever reads
 * such a text (an admin body, a middleware answer a body rule judges) refuses it instead.
 */

/** Whether valid JSON `text` nests deeper than `limit` objects and arrays; counted without recursion. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      if (++depth > limit) return true;
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) depth -= 1;
  }
  return false;
}

/**
 * The first key an object of valid JSON `text` names twice, as a dotted path; undefined when none does. Keys
 * compare as JSON.parse reads them (`"a"` and `"\u0061"` are one). The walk recurses: bound the nesting first
 * (`nestsDeeperThan`), or `[[[[…` some thousands deep overflows the stack.
 */
export function repeatedKey(text: string): string | undefined {
  const open: Set<string>[] = [];
  let found: string | undefined;
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (name, _offset, _length, _line, _column, path) => {
      const keys = open.at(-1)!;
      if (found === undefined && keys.has(name)) found = [...path(), name].join('.');
      keys.add(name);
    },
  });
  return found;
}
