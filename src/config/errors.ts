/**
 * Configuration problems and the error that carries them. A problem names the
 * YAML path and, when the file has one, the line and column; it never carries a
 * configured value, so secrets cannot leak through an error message.
 */

export type PathSegment = string | number;

export interface ConfigProblem {
  /** Readable YAML path such as `providers[1].base_url`; empty for file-level problems. */
  readonly path: string;
  /** 1-based line in the source, when known. */
  readonly line?: number;
  /** 1-based column in the source, when known. */
  readonly col?: number;
  /** What is wrong and what was expected. */
  readonly message: string;
}

export class ConfigError extends Error {
  /** Where the configuration came from (file path or `embedded default`). */
  readonly source: string;
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(renderProblems(source, problems));
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

function renderProblems(source: string, problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => `  ${formatProblem(p)}`);
  return [`Invalid configuration in ${source} (${count}):`, ...lines].join('\n');
}

/** `providers[1].base_ur (line 7:5): unknown key …` */
export function formatProblem(problem: ConfigProblem): string {
  const line = problem.line === undefined ? undefined : `line ${problem.line}:${problem.col ?? 1}`;
  if (problem.path === '') return line === undefined ? problem.message : `${line}: ${problem.message}`;
  return line === undefined ? `${problem.path}: ${problem.message}` : `${problem.path} (${line}): ${problem.message}`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `['providers', 1, 'headers', 'X-Team']` → `providers[1].headers["X-Team"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Orders problems as they appear in the file; problems without a position go last. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((p, index) => ({ p, index }))
    .sort((a, b) => {
      const la = a.p.line ?? Number.MAX_SAFE_INTEGER;
      const lb = b.p.line ?? Number.MAX_SAFE_INTEGER;
      if (la !== lb) return la - lb;
      const ca = a.p.col ?? 0;
      const cb = b.p.col ?? 0;
      return ca !== cb ? ca - cb : a.index - b.index;
    })
    .map(({ p }) => p);
}

/** The closest candidate to a misspelt word, when it is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the word's length keeps suggestions to plausible typos (base_ur → base_url)
  // without proposing unrelated keys for short words.
  const limit = Math.max(1, Math.floor(Math.max(word.length, 3) / 3));
  if (bestDistance <= limit) return best;
  // Inflected forms (replies → reply, timeout_ms → timeouts) share a long stem.
  let stemMatch: string | undefined;
  let stemLength = 3;
  for (const candidate of candidates) {
    const length = commonPrefixLength(lower, candidate.toLowerCase());
    if (length > stemLength) {
      stemMatch = candidate;
      stemLength = length;
    }
  }
  return stemMatch;
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Damerau-Levenshtein distance (optimal string alignment), so swapped letters count once. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}
