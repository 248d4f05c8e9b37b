/**
 * Finds every PromQL expression in the deploy files, so that a panel or rule
 * added later is evaluated against a live Prometheus without editing a test:
 * dashboard targets and variable queries (with Grafana variables replaced by
 * values Prometheus accepts), recording rules as they are, and alert rules with
 * their threshold comparison removed (the comparison filters a healthy system's
 * series away; the part before it must still return data).
 */

export interface PromqlSource {
  /** Where the expression came from, for failure messages. */
  readonly origin: string;
  readonly expr: string;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/** Grafana's built-in range and interval variables, replaced with a window that holds several scrapes. */
const GRAFANA_DURATIONS: ReadonlyMap<string, string> = new Map([
  ['__rate_interval', '5m'],
  ['__interval', '5m'],
  ['__range', '5m'],
  ['__range_s', '300'],
  ['__range_ms', '300000'],
  ['__interval_ms', '300000'],
]);

/** Replaces `$var`, `${var}`, `${var:format}` and `[[var]]`; an unknown variable is an error. */
export function substituteVariables(expr: string, values: ReadonlyMap<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (match, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare ?? '';
    const value = values.get(name) ?? GRAFANA_DURATIONS.get(name);
    if (value === undefined) throw new Error(`unknown Grafana variable ${match} in: ${expr}`);
    return value;
  });
}

/** `label_values(metric{...}, label)` as a PromQL query returning one series per label value. */
export function variableQueryToPromql(query: string): string {
  const labelValues = /^\s*label_values\(\s*(.*?)\s*,\s*(\w+)\s*\)\s*$/s.exec(query);
  if (labelValues) {
    const [, selector = '', label = ''] = labelValues;
    return `count by (${label}) (${selector})`;
  }
  const onlyLabel = /^\s*label_values\(\s*(\w+)\s*\)\s*$/.exec(query);
  if (onlyLabel) return `count by (${onlyLabel[1] ?? ''}) ({${onlyLabel[1] ?? ''}!=""})`;
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (queryResult) return queryResult[1] ?? '';
  throw new Error(`unsupported variable query: ${query}`);
}

/** Every expression of a Grafana dashboard: panel targets (rows nested or not) and query variables. */
export function dashboardExpressions(dashboard: unknown): PromqlSource[] {
  if (!isRecord(dashboard)) throw new Error('the dashboard is not a JSON object');
  const variables = asArray(isRecord(dashboard.templating) ? dashboard.templating.list : undefined).filter(isRecord);
  const values = new Map<string, string>();
  for (const variable of variables) {
    // Data source variables only appear in `datasource` fields, never in expressions.
    if (variable.type !== 'datasource') values.set(text(variable.name, ''), '.*');
  }
  const out: PromqlSource[] = [];
  for (const variable of variables) {
    if (variable.type !== 'query') continue;
    const raw = isRecord(variable.query) ? variable.query.query : variable.query;
    const query = text(raw, text(variable.definition, ''));
    if (query === '') throw new Error(`variable ${text(variable.name, '?')} has no query`);
    out.push({ origin: `variable $${text(variable.name, '?')}`, expr: variableQueryToPromql(substituteVariables(query, values)) });
  }
  const visit = (panels: readonly unknown[]): void => {
    for (const panel of panels.filter(isRecord)) {
      const title = text(panel.title, `panel ${String(panel.id)}`);
      for (const target of asArray(panel.targets).filter(isRecord)) {
        if (typeof target.expr !== 'string' || target.hide === true) continue;
        out.push({ origin: `panel "${title}" target ${text(target.refId, '?')}`, expr: substituteVariables(target.expr, values) });
      }
      visit(asArray(panel.panels));
    }
  };
  visit(asArray(dashboard.panels));
  return out;
}

/** Every expression of a Prometheus rule file: recording rules (and their output series) and alert conditions without thresholds. */
export function ruleExpressions(ruleFile: unknown): PromqlSource[] {
  if (!isRecord(ruleFile)) throw new Error('the rule file is not a YAML mapping');
  const out: PromqlSource[] = [];
  for (const group of asArray(ruleFile.groups).filter(isRecord)) {
    for (const rule of asArray(group.rules).filter(isRecord)) {
      const expr = text(rule.expr, '');
      if (typeof rule.record === 'string') {
        out.push({ origin: `recording rule ${rule.record}`, expr });
        out.push({ origin: `recorded series ${rule.record}`, expr: rule.record });
      } else if (typeof rule.alert === 'string') {
        for (const operand of withoutThreshold(expr)) out.push({ origin: `alert ${rule.alert}`, expr: operand });
      }
    }
  }
  return out;
}

const COMPARISONS = ['==', '!=', '>=', '<=', '>', '<'] as const;
const SET_OPERATORS = ['and', 'or', 'unless'] as const;
type SetOperator = (typeof SET_OPERATORS)[number];

interface TopLevel {
  readonly comparisons: number[];
  readonly setOperators: Array<{ readonly at: number; readonly op: SetOperator }>;
}

function isIdentifierChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_:]/.test(c);
}

/**
 * Calls `visit` for every character outside string literals and comments,
 * with the bracket depth after that character; stops when `visit` returns false.
 */
function scan(expr: string, visit: (i: number, depth: number) => boolean | number): void {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] ?? '';
    if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < expr.length && expr[i] !== c) i += expr[i] === '\\' && c !== '`' ? 2 : 1;
      continue;
    }
    if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
      continue;
    }
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    const next = visit(i, depth);
    if (next === false) return;
    // A number is how many characters the visitor consumed.
    if (typeof next === 'number') i += next - 1;
  }
}

/** Positions of the binary operators outside any (), {}, [] and string literal. */
function scanTopLevel(expr: string): TopLevel {
  const comparisons: number[] = [];
  const setOperators: Array<{ at: number; op: SetOperator }> = [];
  scan(expr, (i, depth) => {
    // A closing bracket brings the depth back to 0 but is not itself an operator.
    if (depth !== 0 || ')}]'.includes(expr[i] ?? '')) return true;
    const comparison = COMPARISONS.find((op) => expr.startsWith(op, i));
    if (comparison) {
      comparisons.push(i);
      return comparison.length;
    }
    if (isIdentifierChar(expr[i - 1])) return true;
    const word = SET_OPERATORS.find((op) => expr.startsWith(op, i) && !isIdentifierChar(expr[i + op.length]));
    if (!word) return true;
    setOperators.push({ at: i, op: word });
    return word.length;
  });
  return { comparisons, setOperators };
}

/** `( … )` around the whole expression. */
function unwrap(expr: string): string {
  const trimmed = expr.trim();
  if (!trimmed.startsWith('(') || !trimmed.endsWith(')')) return trimmed;
  let enclosed = true;
  scan(trimmed, (i, depth) => {
    if (depth === 0 && i < trimmed.length - 1) enclosed = false;
    return enclosed;
  });
  return enclosed ? unwrap(trimmed.slice(1, -1)) : trimmed;
}

/** Vector matching modifiers that may start the right-hand operand of a binary operator. */
function stripLeadingModifiers(operand: string): string {
  let rest = operand.trim();
  for (;;) {
    const modifier = /^(bool|on|ignoring|group_left|group_right)\b\s*/.exec(rest);
    if (!modifier) return rest;
    rest = rest.slice(modifier[0].length);
    if (rest.startsWith('(')) rest = rest.slice(rest.indexOf(')') + 1).trim();
  }
}

/**
 * The parts of an alert condition that must return data on a healthy system:
 * each operand of a top-level `and` / `or` (the left side of `unless`), cut at
 * its threshold comparison. `(errors / total) > 0.05 and on() traffic > 1`
 * gives `errors / total` and `traffic`.
 */
export function withoutThreshold(expr: string): string[] {
  const whole = unwrap(expr);
  const { comparisons, setOperators } = scanTopLevel(whole);
  if (setOperators.length > 0) {
    const parts: string[] = [];
    let start = 0;
    let keep = true;
    for (const { at, op } of setOperators) {
      if (keep) parts.push(...withoutThreshold(stripLeadingModifiers(whole.slice(start, at))));
      start = at + op.length;
      // The right side of `unless` is expected to be empty when the alert should fire.
      keep = op !== 'unless';
    }
    if (keep) parts.push(...withoutThreshold(stripLeadingModifiers(whole.slice(start))));
    return parts;
  }
  const first = comparisons[0];
  if (first === undefined) return [whole];
  return [unwrap(whole.slice(0, first))];
}
