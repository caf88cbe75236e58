import { formatPath } from './path.js';
import { localUserProblems, packagesSchema, userSchema, type LocalUser } from './policySchema.js';

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Routes that name a backend the file does not define. Read from the raw document, so a mistake elsewhere hides none. */
function unknownBackends(document: Record<string, unknown>): string[] {
  const { routes, backends } = document;
  if (!isMapping(routes)) return [];
  const defined = isMapping(backends) ? Object.keys(backends) : [];
  return Object.entries(routes).flatMap(([routeName, route]) => {
    if (!isMapping(route) || !Array.isArray(route.backends)) return [];
    return route.backends.flatMap((name: unknown, index) =>
      typeof name === 'string' && !defined.includes(name)
        ? [
            `${formatPath(['routes', routeName, 'backends', index])}: unknown backend "${name}" (defined: ${defined.join(', ') || 'none'})`,
          ]
        : [],
    );
  });
}

/**
 * Duplicate logins and tokens (also against `others`, users defined
 * elsewhere), and packages nobody defined, among the users that are valid on
 * their own (an invalid user already has its problem).
 */
export function userReferenceProblems(document: Record<string, unknown>, others: readonly LocalUser[] = []): string[] {
  if (!Array.isArray(document.users)) return [];
  const packages = packagesSchema.safeParse(document.packages ?? {});
  if (!packages.success) return [];
  const valid: { user: LocalUser; index: number }[] = [];
  document.users.forEach((raw: unknown, index) => {
    const parsed = userSchema.safeParse(raw);
    if (parsed.success) valid.push({ user: parsed.data, index });
  });
  return localUserProblems(
    valid.map(({ user }) => user),
    packages.data,
    others,
  ).map(({ path, message }) => {
    // Positions among the valid users, put back to positions in the file.
    const inFile = (at: number) => valid[at]!.index;
    const [key, at, ...rest] = path;
    return `${formatPath([key!, inFile(at as number), ...rest])}: ${message.replace(/users\[(\d+)\]/g, (_all, k: string) => `users[${inFile(Number(k))}]`)}`;
  });
}

/** What cannot be seen one key at a time: names one part of the file uses and another must define. */
export function referenceProblems(document: Record<string, unknown>): string[] {
  return [...unknownBackends(document), ...userReferenceProblems(document)];
}
