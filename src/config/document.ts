import { readFileSync, statSync } from 'node:fs';
import { isScalar, parseAllDocuments, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatPath, type Path } from './path.js';

/*
 * Reading a settings document (the config file, a users file) with the config's rules, whatever
 * its schema: size and type checks before reading, YAML or JSON, `${ENV}` substitution, and
 * problems that name their keys. Knows no schema of its own: load.ts and usersFile.ts bring theirs.
 */

/** A configuration problem; the message names the key and what is wrong with it. */
export class ConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    readonly source: string,
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** What a key that is also a setting written wrong (`password:S3cret`, `token=abc`, `secret abc`) was meant as. */
const GLUED = /[\s:=]/;

/**
 * `key` as a problem names it. A typo can make a secret part of a key (no space after the colon, `=` for `:`): only
 * what comes before that is shown, the rest masked, with what was probably meant.
 */
export function unknownKeyProblem(where: string, key: string, more = ''): string {
  const at = key.search(GLUED);
  if (at < 0) return `${where}${key}: unknown key${more}`;
  const glue = key[at]!;
  const meant = glue === ':' ? 'a space missing after ":"?' : glue === '=' ? '":" written as "="?' : 'a ":" missing?';
  return `${where}${key.slice(0, at)}${glue === ':' || glue === '=' ? glue : ' '}***: unknown key (${meant})${more}`;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length === 0 ? '' : formatPath([...issue.path, '']);
    return issue.keys.map((key) => unknownKeyProblem(prefix, key));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Every branch wanted another type here: one line naming them all, not one line per branch.
    const wanted = issue.errors.map((errors) =>
      errors.length === 1 && errors[0]!.path.length === 0 ? errors[0] : undefined,
    );
    if (wanted.every((inner) => inner?.code === 'invalid_type')) {
      const types = [...new Set(wanted.map((inner) => (inner as z.core.$ZodIssueInvalidType).expected))];
      const received = /received (\w+)/.exec(wanted[0]!.message)?.[1];
      return [`${where}: expected ${types.join(' or ')}${received ? `, received ${received}` : ''}`];
    }
    return issue.errors
      .flatMap((errors) => errors.map((inner) => describeIssue({ ...inner, path: [...issue.path, ...inner.path] })))
      .flat();
  }
  if (issue.code === 'invalid_key') {
    return [`${where}: invalid name: ${issue.issues.map((inner) => inner.message).join('; ')}`];
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return [`${where}: required`];
  }
  if (issue.code === 'invalid_value') {
    return [`${where}: expected one of ${issue.values.map(String).join('|')}`];
  }
  return [`${where}: ${issue.message.replace(/^Invalid input: /, '')}`];
}

const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` and `${NAME:-fallback}` in every string value. Done after
 * parsing, so a variable can never change the file's structure.
 */
function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: string[],
  path: Path = [],
  within: ReadonlySet<object> = new Set(),
): unknown {
  if (value !== null && typeof value === 'object' && within.has(value)) {
    problems.push(`${formatPath(path)}: refers to itself (a YAML alias inside its own anchor)`);
    return null;
  }
  const inside = value !== null && typeof value === 'object' ? new Set([...within, value]) : within;
  if (typeof value === 'string') {
    // Another shell form (`${NAME-x}`, `${NAME:=x}`, `${A:-${B}}`) would stay in the value as text: a secret meant to
    // come from the environment would be the file's own public text.
    const unsupported = value.replace(ENV_REFERENCE, (whole, _name, fallback: string | undefined) =>
      fallback?.includes('${') ? whole : '',
    );
    if (unsupported.includes('${')) {
      problems.push(
        `${formatPath(path)}: a "\${" that is no \${NAME} or \${NAME:-fallback} (other shell forms and nesting are not substituted)`,
      );
      return '';
    }
    return value.replace(ENV_REFERENCE, (_whole, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, problems, [...path, i], inside));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        // JavaScript would treat these names as the object's machinery, not as a setting.
        if (RESERVED_KEYS.has(key)) problems.push(`${formatPath([...path, key])}: reserved name`);
        return [key, substituteEnv(item, env, problems, [...path, key], inside)];
      }),
    );
  }
  return value;
}

/** What validating a document found: its value when there was nothing wrong, and every problem otherwise. */
export interface Collected<T> {
  readonly value?: T;
  readonly problems: readonly string[];
  /** The document after `${ENV}` substitution, for checks that look past a failed schema. */
  readonly substituted: unknown;
}

/** Whether a problem line (`path: message`) is about `path` or something inside it. */
function isAbout(problem: string, path: string): boolean {
  return problem.startsWith(`${path}:`) || problem.startsWith(`${path}.`) || problem.startsWith(`${path}[`);
}

/**
 * Validates an already parsed document against `schema` with the config's
 * rules: `${ENV}` substituted, problems naming their keys. Every problem is
 * collected in one pass: a missing variable does not hide the rest, and a key
 * whose variable is missing gets that one problem, not a second about the
 * empty text left in its place. `crossChecks` see the substituted document
 * whether or not the schema accepted it, so references are reported too.
 */
export function collectDocument<T>(
  schema: z.ZodType<T>,
  document: unknown,
  env: NodeJS.ProcessEnv,
  crossChecks: (substituted: Record<string, unknown>) => string[] = () => [],
): Collected<T> {
  const envProblems: string[] = [];
  const given = document ?? {};
  // Only a plain mapping is settings: YAML's `!!binary` (bytes) or a list reads as an object too.
  const prototype = typeof given === 'object' ? Object.getPrototypeOf(given) : undefined;
  if (prototype !== Object.prototype && prototype !== null) {
    return { problems: ['(top level): expected a mapping of settings'], substituted: given };
  }
  const substituted = substituteEnv(given, env, envProblems) as Record<string, unknown>;
  const spoiled = envProblems.map((problem) => problem.slice(0, problem.indexOf(': ')));
  const result = schema.safeParse(substituted);
  const found = [
    ...(result.success ? [] : result.error.issues.flatMap(describeIssue)),
    ...crossChecks(substituted as Record<string, unknown>),
  ];
  const problems = [
    ...new Set([...envProblems, ...found.filter((problem) => !spoiled.some((path) => isAbout(problem, path)))]),
  ];
  return problems.length === 0 && result.success
    ? { value: result.data, problems, substituted }
    : { problems, substituted };
}

/** A key as written where the parser points at it: plain, or in double or single quotes. */
const KEY_AT = /^(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\n]|'')*)'|([^:\n,{}[\]#]+?))[ \t]*:/;

/**
 * The parser says only "Map keys must be unique" and where: the problem names the key too, read from
 * the text at that place (a key, never a value, so no secret; cut short all the same).
 */
function duplicateKeyProblem(
  text: string,
  offset: number,
  at: { line: number; col: number } | undefined,
): string | undefined {
  const match = KEY_AT.exec(text.slice(offset, offset + 200));
  const key = (match?.[1] ?? match?.[2] ?? match?.[3])?.trim();
  if (!key || at === undefined) return undefined;
  return `the key ${JSON.stringify(key.slice(0, 80))} is given twice (again at line ${at.line}, column ${at.col})`;
}

/**
 * YAML is a superset of JSON, so one parser reads both and refuses duplicate
 * keys in both. Warnings (an unknown `!tag`, say) are errors too: silently
 * ignoring part of an auth config is worse than refusing it. Only the first
 * line of a parser message is kept: the rest quotes the file, secrets included.
 */
export function parseSettingsText(text: string, source: string): unknown {
  const options = { uniqueKeys: true, merge: true, logLevel: 'silent' } as const;
  const parsed = parseAllDocuments(text, options);
  const documents = Array.isArray(parsed) ? parsed : [];
  const document = documents[0] ?? parseDocument('', options);
  // A second document (after a `---` line) would be read by no one: its deny rules dropped without a word.
  const more = documents
    .slice(1)
    .find(
      ({ contents, errors }) =>
        errors.length > 0 || (contents !== null && !(isScalar(contents) && contents.value === null)),
    );
  if (more !== undefined) {
    const line = text.slice(0, more.range[0]).split('\n').length;
    throw new ConfigError(
      [
        `(file): holds a second YAML document (from line ${line}, after a "---" line): everything in it would be ignored; put all settings in one document`,
      ],
      source,
    );
  }
  const problems = [...document.errors, ...document.warnings].map(
    (issue) =>
      `(file): cannot parse: ${
        (issue.code === 'DUPLICATE_KEY' && duplicateKeyProblem(text, issue.pos[0], issue.linePos?.[0])) ||
        // The first line ends in a colon that introduced the quoted lines.
        issue.message.split('\n')[0]!.replace(/:$/, '')
      }`,
  );
  if (problems.length > 0) throw new ConfigError(problems, source);
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(
      [`(file): cannot parse: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`],
      source,
    );
  }
}

/**
 * Refuses what is not a settings file before reading it: a device such as
 * /dev/zero would otherwise be read until memory runs out. The error's `code`
 * says why, like a failed read's would.
 */
export function assertReadableFile(file: string, maxBytes: number): void {
  const stats = statSync(file);
  if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
  if (stats.size > maxBytes) throw Object.assign(new Error('too large'), { code: `larger than ${maxBytes} bytes` });
}

/** How a file that could not be read is reported, as a config problem. */
export function cannotRead(error: unknown): string {
  return `(file): cannot read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
}

/** A settings file's text; a ConfigError naming the file when it cannot be read. */
export function readSettingsFile(file: string, maxBytes: number): string {
  try {
    assertReadableFile(file, maxBytes);
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([cannotRead(error)], file);
  }
}
