/** Where in a settings file a problem is: keys and list positions. */
export type Path = readonly PropertyKey[];

/** `routes.default.backends[0]`; `(top level)` for the file itself. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(top level)';
}
