/**
 * `${VAR}` and `${VAR:-default}` in YAML string values. Interpolation runs on
 * the parsed document, value scalars only (keys are left alone), so an
 * environment value can never change the structure of the file.
 *
 * - `${VAR}`: the variable's value; an error when it is not set (set but empty is fine).
 * - `${VAR:-default}`: the default when the variable is unset or empty, as in
 *   POSIX shells; the default may itself contain `${…}` references.
 * - `$${`: a literal `${`. Any other `$` is kept as written.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PathSegment } from './errors.js';

export interface InterpolationProblem {
  readonly path: readonly PathSegment[];
  /** Offset of the scalar in the source, for line:col. */
  readonly offset: number | undefined;
  readonly message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

interface Expansion {
  readonly value: string;
  /** Index just after the consumed text (the closing `}` when stopping at one). */
  readonly end: number;
  /** True when the expansion stopped at an unmatched `}`. */
  readonly closed: boolean;
}

/** Expands one string; `problems` receives one message per bad reference. */
export function interpolateString(text: string, env: NodeJS.ProcessEnv, problems: string[]): string {
  return expand(text, 0, false, env, problems).value;
}

function expand(text: string, start: number, stopAtBrace: boolean, env: NodeJS.ProcessEnv, problems: string[]): Expansion {
  let out = '';
  let i = start;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    const brace = stopAtBrace ? text.indexOf('}', i) : -1;
    if (brace >= 0 && (dollar < 0 || brace < dollar)) {
      return { value: out + text.slice(i, brace), end: brace + 1, closed: true };
    }
    if (dollar < 0) {
      out += text.slice(i);
      i = text.length;
      break;
    }
    out += text.slice(i, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
    } else if (text.startsWith('${', dollar)) {
      const ref = reference(text, dollar + 2, env, problems);
      out += ref.value;
      i = ref.end;
    } else {
      out += '$';
      i = dollar + 1;
    }
  }
  return { value: out, end: i, closed: false };
}

/** Parses the reference after `${` at `start`. */
function reference(text: string, start: number, env: NodeJS.ProcessEnv, problems: string[]): Expansion {
  const name = NAME.exec(text.slice(start))?.[0];
  if (name === undefined) {
    problems.push("invalid '${…}': expected a variable name (letters, digits and '_', not starting with a digit), as in ${NAME} or ${NAME:-default}");
    return skipToBrace(text, start, problems);
  }
  const after = start + name.length;
  const value = env[name];
  if (text[after] === '}') {
    if (value === undefined) {
      problems.push(`environment variable ${name} is not set; set it, or give a default with \${${name}:-default}`);
      return { value: '', end: after + 1, closed: true };
    }
    return { value, end: after + 1, closed: true };
  }
  if (text.startsWith(':-', after)) {
    // The default is expanded on its own problem list: a reference inside an
    // unused default must not fail the file.
    const defaultProblems: string[] = [];
    const fallback = expand(text, after + 2, true, env, defaultProblems);
    if (!fallback.closed) {
      problems.push(`unterminated '\${${name}:-…': missing the closing '}'`);
      return fallback;
    }
    if (value !== undefined && value !== '') return { value, end: fallback.end, closed: true };
    problems.push(...defaultProblems);
    return fallback;
  }
  if (after >= text.length) {
    problems.push(`unterminated '\${${name}': missing the closing '}'`);
    return { value: '', end: text.length, closed: false };
  }
  problems.push(`invalid reference to ${name}: expected \${${name}} or \${${name}:-default}`);
  return skipToBrace(text, after, problems);
}

function skipToBrace(text: string, start: number, problems: string[]): Expansion {
  const brace = text.indexOf('}', start);
  if (brace < 0) {
    problems.push("unterminated '${': missing the closing '}'");
    return { value: '', end: text.length, closed: false };
  }
  return { value: '', end: brace + 1, closed: true };
}

/**
 * Interpolates every string value scalar of the document in place and returns
 * the problems found, each with its YAML path and source offset.
 */
export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv): InterpolationProblem[] {
  const problems: InterpolationProblem[] = [];
  if (doc.contents !== null) visit(doc.contents, [], env, problems);
  return problems;
}

function visit(node: Node, path: PathSegment[], env: NodeJS.ProcessEnv, problems: InterpolationProblem[]): void {
  // Aliases share the anchored node, which is interpolated where it is defined.
  if (isAlias(node)) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (pair.value === null || !isNodeLike(pair.value)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      visit(pair.value, [...path, key], env, problems);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, index) => {
      if (isNodeLike(item)) visit(item, [...path, index], env, problems);
    });
    return;
  }
  if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
    const messages: string[] = [];
    node.value = interpolateString(node.value, env, messages);
    for (const message of messages) problems.push({ path, offset: node.range?.[0], message });
  }
}

function isNodeLike(value: unknown): value is Node {
  return isAlias(value) || isMap(value) || isSeq(value) || isScalar(value);
}
