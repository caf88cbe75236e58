import { formatPath } from './path.js';
import { localUserProblems, type Packages, packagesSchema, userSchema, type UserIdentity } from './policySchema.js';

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Routes that name a backend the file does not define, or one twice (it would be asked once for each, and its
 * breaker would count each failure as many times). Read from the raw document, so a mistake elsewhere hides none.
 */
function unknownBackends(document: Record<string, unknown>): string[] {
  const { routes, backends } = document;
  if (!isMapping(routes)) return [];
  const defined = isMapping(backends) ? Object.keys(backends) : [];
  return Object.entries(routes).flatMap(([routeName, route]) => {
    if (!isMapping(route) || !Array.isArray(route.backends)) return [];
    const names: unknown[] = route.backends;
    return names.flatMap((name, index) => {
      if (typeof name !== 'string') return [];
      const at = formatPath(['routes', routeName, 'backends', index]);
      if (!defined.includes(name))
        return [`${at}: unknown backend "${name}" (defined: ${defined.join(', ') || 'none'})`];
      return names.indexOf(name) < index ? [`${at}: backend "${name}" is listed twice`] : [];
    });
  });
}

/**
 * What each entry of a users list shows of itself, by position: a valid user
 * whole, an invalid one each field that is valid on its own, so a user with a
 * schema error still has its duplicate login or token reported in the same run.
 */
export function userIdentities(users: readonly unknown[]): UserIdentity[] {
  const fields = userSchema.shape;
  return users.map((raw) => {
    const whole = userSchema.safeParse(raw);
    if (whole.success) return whole.data;
    if (!isMapping(raw)) return {};
    return {
      login: fields.login.safeParse(raw.login).data,
      token: fields.token.safeParse(raw.token).data,
      packages: fields.packages.safeParse(raw.packages).data,
    };
  });
}

/**
 * Duplicate logins and tokens (also against `others`, users defined
 * elsewhere), and packages nobody defined, over every user whether or not the
 * rest of it is valid (its other problems are the schema's).
 */
export function userReferenceProblems(
  document: Record<string, unknown>,
  others: readonly UserIdentity[] = [],
): string[] {
  if (!Array.isArray(document.users)) return [];
  const given = document.packages ?? {};
  // Names are checked against the packages given even when one of them is malformed (its own problem), so that one
  // bad package name does not hide every reference to a package that does not exist.
  const packages =
    packagesSchema.safeParse(given).data ??
    (given !== null && typeof given === 'object' && !Array.isArray(given)
      ? (Object.fromEntries(Object.keys(given).map((name) => [name, []])) as Packages)
      : undefined);
  return localUserProblems(userIdentities(document.users), packages, others).map(
    ({ path, message }) => `${formatPath(path)}: ${message}`,
  );
}

/** What cannot be seen one key at a time: names one part of the file uses and another must define. */
export function referenceProblems(document: Record<string, unknown>): string[] {
  return [...unknownBackends(document), ...userReferenceProblems(document)];
}
