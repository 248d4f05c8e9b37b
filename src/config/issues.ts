/**
 * Turns zod issues into configuration problems: one readable line per
 * problem, phrased in YAML terms (mapping, list) and never quoting the value
 * that was given, since it may be a secret.
 */
import type { z } from 'zod';
import { closestMatch, formatPath, type ConfigProblem, type PathSegment } from './errors.js';
import type { Locator } from './locate.js';

type RawIssue = z.core.$ZodRawIssue;

/** How a YAML value looks, by type only. */
export function describeType(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/** The message for a key that is absent but required. */
export function missingMessage(expectation: string): string {
  return `required, but missing (expected ${expectation})`;
}

/** `unknown key 'base_ur' — did you mean 'base_url'?`, one line per key. */
export function unknownKeysMessage(keys: readonly string[], known: readonly string[], elsewhere?: (key: string) => string | undefined): string {
  return keys
    .map((key) => {
      const other = elsewhere?.(key);
      if (other !== undefined) return `unknown key '${key}' — ${other}`;
      const guess = closestMatch(key, known);
      if (guess !== undefined) return `unknown key '${key}' — did you mean '${guess}'?`;
      return `unknown key '${key}' — expected one of: ${known.join(', ')}`;
    })
    .join('\n');
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => String(v)).join(', ');
}

/** Parse-wide zod error map; schema-specific messages take precedence over it. */
export const configErrorMap: z.core.$ZodErrorMap = (issue: RawIssue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return missingMessage(expected);
      const hint = issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean') ? ' (quote it to make it a string)' : '';
      return `expected ${expected}, got ${describeType(issue.input)}${hint}`;
    }
    case 'invalid_value': {
      const expected = issue.values.length === 1 ? `'${String(issue.values[0])}'` : `one of: ${listValues(issue.values)}`;
      return issue.input === undefined ? missingMessage(expected) : `expected ${expected}`;
    }
    case 'invalid_union': {
      const options: unknown = issue.options;
      if (issue.discriminator === undefined || !Array.isArray(options)) return undefined;
      const expected = `one of: ${listValues(options)}`;
      // The issue's input is the whole entry; the discriminator may be absent from it.
      const input: unknown = issue.input;
      const absent = input === undefined || (typeof input === 'object' && input !== null && !(issue.discriminator in input));
      return absent ? missingMessage(expected) : `expected ${expected}`;
    }
    case 'too_small':
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false, issue.input);
    case 'too_big':
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false, issue.input);
    case 'unrecognized_keys':
      return unknownKeysMessage(issue.keys, []);
    default:
      return undefined;
  }
};

function tooSmall(origin: string, minimum: number, inclusive: boolean, input: unknown): string {
  if (origin === 'array') return `expected at least ${minimum} ${minimum === 1 ? 'entry' : 'entries'}`;
  if (origin === 'string') return minimum === 1 ? 'expected a non-empty string' : `expected at least ${minimum} characters`;
  const got = typeof input === 'number' ? `, got ${input}` : '';
  return `expected a number ${inclusive ? '>=' : '>'} ${minimum}${got}`;
}

function tooBig(origin: string, maximum: number, inclusive: boolean, input: unknown): string {
  if (origin === 'array') return `expected at most ${maximum} entries`;
  if (origin === 'string') return `expected at most ${maximum} characters`;
  const got = typeof input === 'number' ? `, got ${input}` : '';
  return `expected a number ${inclusive ? '<=' : '<'} ${maximum}${got}`;
}

/** Converts finished zod issues to located problems. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], locator: Locator | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: readonly PathSegment[], message: string, preferKey: boolean): void => {
    const position = locator?.locate(path, preferKey);
    problems.push({ path: formatPath(path), message, ...(position === undefined ? {} : { line: position.line, col: position.col }) });
  };
  for (const issue of issues) {
    const path = issue.path.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number');
    if (issue.code === 'unrecognized_keys') {
      // The message holds one line per key, in the order of `keys`.
      const lines = issue.message.split('\n');
      issue.keys.forEach((key, index) => add([...path, key], lines[index] ?? `unknown key '${key}'`, true));
    } else if (issue.code === 'invalid_key') {
      add(path, issue.issues[0]?.message ?? 'invalid key', true);
    } else {
      // A missing key has no node of its own: point at its mapping.
      add(path, issue.message, false);
    }
  }
  return problems;
}
