// @ts-check
// Checks the import graph of src/ against the layering rules below; run with `npm run check:layers`.
// console/ (the web console, a browser app that reaches the gateway only over HTTP and imports nothing from src/)
// is outside the root and not part of the graph.
//
//   1. No import cycle between top-level folders of the root (src/server/relay/x.ts belongs to `server`).
//      Files directly in the root (src/gateway.ts) are the composition root and are not folder nodes.
//   2. No file-level import cycle anywhere.
//   3./4. Only the importers listed in LAYER_RULES may import from a guarded folder.
//
// Every import form counts: `import`, `import type`, `export … from`, `export type … from`,
// `import x = require()`, `import('…')` and `typeof import('…')`. Type-only edges count towards cycles too,
// unless --allow-type-cycles is given; they always count for the layer rules. `import { type A } from`
// (inline type modifiers only) is a runtime edge: with verbatimModuleSyntax it compiles to `import {} from`.
//
// Relative specifiers resolve within the root (x.js -> x.ts, else x/index.ts); bare specifiers
// (packages, node:) are ignored; relative specifiers that resolve to no .ts file under the root are
// listed as warnings (tsc reports the broken ones) and do not fail the check.
//
// Usage: node scripts/check-layers.mjs [--root DIR] [--allow-type-cycles] [--graph]
//   --root DIR            source root (default: src/ of this repository)
//   --allow-type-cycles   ignore type-only imports when looking for cycles (rules 1 and 2)
//   --graph               print the folder dependency graph (`folder -> a, b`) on stdout; the check still runs,
//                         and its summary goes to stderr so stdout holds only the graph
// Exit code: 0 clean, 1 violations, 2 usage error.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The label for files directly in the root (the composition root, e.g. src/gateway.ts). */
const ROOT = '(root)';

/**
 * Guarded folder -> the folders allowed to import from it (besides itself).
 * - server/: the HTTP layer sits on top of everything else; only the composition root (root files such as
 *   gateway.ts, which wires the app) and cli/ (whose `start` command boots the server) may reach into it.
 * - cli/: the command-line entry point; only the composition root may import it. cli/ starts the server through
 *   the composition root (gateway.ts), so server/ must never import cli/, and nothing below knows a CLI exists.
 * @type {Record<string, readonly string[]>}
 */
const LAYER_RULES = {
  server: [ROOT, 'cli'],
  cli: [ROOT],
};

const USAGE = 'usage: node scripts/check-layers.mjs [--root DIR] [--allow-type-cycles] [--graph]';

/** @param {string} message @returns {never} */
function usageError(message) {
  process.stderr.write(`check-layers: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** @param {string[]} argv @returns {{ root: string, allowTypeCycles: boolean, graph: boolean }} */
function parseArgs(argv) {
  let root = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  let allowTypeCycles = false;
  let graph = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--root') {
      const value = argv[++i];
      if (value === undefined) usageError('--root needs a directory');
      root = resolve(String(value));
    } else if (arg?.startsWith('--root=')) {
      root = resolve(arg.slice('--root='.length));
    } else if (arg === '--allow-type-cycles') {
      allowTypeCycles = true;
    } else if (arg === '--graph') {
      graph = true;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      usageError(`unknown argument ${String(arg)}`);
    }
  }
  if (!existsSync(root) || !statSync(root).isDirectory()) usageError(`not a directory: ${root}`);
  return { root, allowTypeCycles, graph };
}

// ---------------------------------------------------------------------------------------------------------
// Collecting files and imports

/** @param {string} dir @returns {string[]} absolute paths of the .ts files under dir, sorted */
function listTsFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTsFiles(path));
    else if (entry.isFile() && /\.[mc]?ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

/**
 * @typedef {{ specifier: string, typeOnly: boolean, line: number, text: string }} ImportRef
 * line is 1-based; text is the statement collapsed onto one line.
 */

/** @param {string} file @returns {ImportRef[]} */
function collectImports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  /** @type {ImportRef[]} */
  const refs = [];

  /** @param {ts.Node} specifierNode @param {ts.Node} statement @param {boolean} typeOnly */
  const add = (specifierNode, statement, typeOnly) => {
    if (!ts.isStringLiteralLike(specifierNode)) return; // import(expr): not statically known
    const line = source.getLineAndCharacterOfPosition(specifierNode.getStart(source)).line + 1;
    let text = statement.getText(source).replace(/\s+/g, ' ').trim();
    if (text.length > 160) text = `${text.slice(0, 157)}...`;
    refs.push({ specifier: specifierNode.text, typeOnly, line, text });
  };

  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node, node.importClause?.isTypeOnly ?? false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg) add(arg, node, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, node, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/**
 * Resolves a relative specifier the way NodeNext does for .ts sources: x.js -> x.ts (x.mjs -> x.mts,
 * x.cjs -> x.cts), falling back to x/index.ts; an extensionless specifier tries x.ts then x/index.ts.
 * @param {string} fromFile @param {string} specifier @param {Set<string>} known
 * @returns {string | undefined} the absolute path of a known .ts file, or undefined
 */
function resolveSpecifier(fromFile, specifier, known) {
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.([mc]?)js$/, '');
  const candidates =
    stem !== base
      ? [`${stem}.${/\.([mc]?)js$/.exec(base)?.[1] ?? ''}ts`, join(stem, 'index.ts')]
      : [base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => known.has(candidate));
}

// ---------------------------------------------------------------------------------------------------------
// Graph helpers

/**
 * Tarjan's strongly connected components, iterative so deep graphs cannot overflow the stack.
 * @param {string[]} nodes @param {(node: string) => Iterable<string>} successors
 * @returns {string[][]} the components, each sorted
 */
function stronglyConnected(nodes, successors) {
  /** @type {Map<string, number>} */ const index = new Map();
  /** @type {Map<string, number>} */ const low = new Map();
  /** @type {Set<string>} */ const onStack = new Set();
  /** @type {string[]} */ const stack = [];
  /** @type {string[][]} */ const components = [];
  let counter = 0;

  for (const start of nodes) {
    if (index.has(start)) continue;
    /** @type {{ node: string, it: Iterator<string> }[]} */
    const work = [{ node: start, it: successors(start)[Symbol.iterator]() }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = /** @type {{ node: string, it: Iterator<string> }} */ (work[work.length - 1]);
      const next = frame.it.next();
      if (!next.done) {
        const w = next.value;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, it: successors(w)[Symbol.iterator]() });
        } else if (onStack.has(w)) {
          low.set(frame.node, Math.min(Number(low.get(frame.node)), Number(index.get(w))));
        }
        continue;
      }
      work.pop();
      const v = frame.node;
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(Number(low.get(parent.node)), Number(low.get(v))));
      if (low.get(v) === index.get(v)) {
        /** @type {string[]} */
        const component = [];
        let w;
        do {
          w = /** @type {string} */ (stack.pop());
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        components.push(component.sort());
      }
    }
  }
  return components;
}

/**
 * A shortest cycle through `start` that stays inside `members` (breadth-first search).
 * @param {string} start @param {Set<string>} members @param {(node: string) => Iterable<string>} successors
 * @returns {string[]} the nodes of the cycle, starting and ending with `start`
 */
function shortestCycle(start, members, successors) {
  /** @type {Map<string, string>} */
  const parent = new Map();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = /** @type {string} */ (queue[i]);
    for (const next of successors(node)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = /** @type {string} */ (parent.get(at))) path.push(at);
        path.push(start);
        path.splice(1, path.length - 2, ...path.slice(1, -1).reverse());
        return path;
      }
      if (!parent.has(next) && next !== start) {
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start];
}

// ---------------------------------------------------------------------------------------------------------
// The check

const { root, allowTypeCycles, graph: printGraph } = parseArgs(process.argv.slice(2));

/** How a path is shown: relative to the working directory when under it, else absolute. @param {string} file */
function show(file) {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || rel === '' ? file : rel;
}

/** The top-level folder of a file under the root, or ROOT for files directly in it. @param {string} file */
function folderOf(file) {
  const parts = relative(root, file).split(sep);
  return parts.length > 1 ? /** @type {string} */ (parts[0]) : ROOT;
}

const files = listTsFiles(root);
const known = new Set(files);

/** @typedef {{ from: string, to: string | undefined, toFolder: string, ref: ImportRef }} Edge to is undefined when unresolved */
/** @type {Edge[]} */
const edges = [];
/** @type {string[]} */
const warnings = [];

for (const file of files) {
  for (const ref of collectImports(file)) {
    if (!ref.specifier.startsWith('./') && !ref.specifier.startsWith('../') && ref.specifier !== '.' && ref.specifier !== '..') continue;
    const target = resolveSpecifier(file, ref.specifier, known);
    if (target !== undefined) {
      edges.push({ from: file, to: target, toFolder: folderOf(target), ref });
      continue;
    }
    const resolved = resolve(dirname(file), ref.specifier);
    const insideRoot = !relative(root, resolved).startsWith('..');
    // Imports of non-TypeScript files outside the root (package.json and the like) are not part of the graph.
    if (!insideRoot && !/\.[mc]?[jt]s$/.test(resolved)) continue;
    warnings.push(`${show(file)}:${ref.line}: unresolved import '${ref.specifier}': ${ref.text}`);
    // A dangling import inside the root (a file moved, its importers not yet updated) still names its folder,
    // so the folder rules (1, 3, 4) see it; the file graph (rule 2) cannot.
    if (insideRoot) edges.push({ from: file, to: undefined, toFolder: folderOf(resolved), ref });
  }
}

const folders = [...new Set(files.map(folderOf).filter((f) => f !== ROOT))].sort();

/**
 * Groups edges by a key, keeping insertion order of the edges.
 * @param {Edge[]} list @param {(edge: Edge) => [string, string] | undefined} key
 * @returns {Map<string, Map<string, Edge[]>>}
 */
function adjacency(list, key) {
  /** @type {Map<string, Map<string, Edge[]>>} */
  const adj = new Map();
  for (const edge of list) {
    const pair = key(edge);
    if (!pair) continue;
    const [a, b] = pair;
    let row = adj.get(a);
    if (!row) adj.set(a, (row = new Map()));
    const bucket = row.get(b);
    if (bucket) bucket.push(edge);
    else row.set(b, [edge]);
  }
  return adj;
}

/** @param {Map<string, Map<string, Edge[]>>} adj @returns {(node: string) => string[]} */
const successorsOf = (adj) => (node) => [...(adj.get(node)?.keys() ?? [])].sort();

/** @param {Edge} edge */
const describeEdge = (edge) => `${show(edge.from)}:${edge.ref.line}: ${edge.ref.text}`;

const cycleEdges = allowTypeCycles ? edges.filter((e) => !e.ref.typeOnly) : edges;
const typeNote = allowTypeCycles ? ' (type-only imports ignored)' : '';
/** @type {string[]} */
const violations = [];

// Rule 1: no cycle between top-level folders.
const folderAdj = adjacency(cycleEdges, (e) => {
  const a = folderOf(e.from);
  const b = e.toFolder;
  return a === ROOT || b === ROOT || a === b ? undefined : [a, b];
});
for (const component of stronglyConnected(folders, successorsOf(folderAdj))) {
  if (component.length < 2) continue;
  const members = new Set(component);
  const first = /** @type {string} */ (component[0]);
  const lines = [
    `[folder-cycle] folders ${component.join(', ')} import each other${typeNote}; e.g. ${shortestCycle(first, members, successorsOf(folderAdj)).join(' -> ')}`,
  ];
  for (const a of component) {
    for (const [b, list] of [...(folderAdj.get(a) ?? [])].sort(([x], [y]) => x.localeCompare(y))) {
      if (!members.has(b)) continue;
      const example = /** @type {Edge} */ (list[0]);
      const count = list.length === 1 ? '1 import' : `${list.length} imports`;
      lines.push(`  ${a} -> ${b} (${count}), e.g. ${show(example.from)} -> ${example.to === undefined ? `(unresolved) ${example.ref.specifier}` : show(example.to)}`);
      lines.push(`      ${describeEdge(example)}`);
    }
  }
  violations.push(lines.join('\n'));
}

// Rule 2: no file-level cycle.
const fileAdj = adjacency(cycleEdges, (e) => (e.to === undefined ? undefined : [e.from, e.to]));
for (const component of stronglyConnected(files, successorsOf(fileAdj))) {
  const only = /** @type {string} */ (component[0]);
  if (component.length < 2 && !fileAdj.get(only)?.has(only)) continue;
  const members = new Set(component);
  const cycle = shortestCycle(only, members, successorsOf(fileAdj)).map(show).join(' -> ');
  const lines = [`[file-cycle] ${component.length} file(s) import each other${typeNote}; e.g. ${cycle}`];
  for (const file of component) lines.push(`  ${show(file)}`);
  lines.push('  imports inside the cycle:');
  for (const file of component) {
    for (const [target, list] of fileAdj.get(file) ?? []) {
      if (members.has(target)) for (const edge of list) lines.push(`    ${describeEdge(edge)}`);
    }
  }
  violations.push(lines.join('\n'));
}

// Rules 3 and 4: guarded folders and who may import them (type-only imports count).
for (const edge of edges) {
  const target = edge.toFolder;
  const importer = folderOf(edge.from);
  const allowed = Object.hasOwn(LAYER_RULES, target) ? LAYER_RULES[target] : undefined;
  if (!allowed || importer === target || allowed.includes(importer)) continue;
  const who = allowed.map((f) => (f === ROOT ? 'root files' : `${f}/`)).join(' and ');
  violations.push(`[layer] ${importer}/ imports ${target}/ (only ${who} may): ${describeEdge(edge)}`);
}

// Output.
if (printGraph) {
  const graphAdj = adjacency(edges, (e) => {
    const a = folderOf(e.from);
    const b = e.toFolder;
    return a === b ? undefined : [a, b];
  });
  const rows = [...folders, ...(files.some((f) => folderOf(f) === ROOT) ? [ROOT] : [])];
  for (const folder of rows) process.stdout.write(`${folder} -> ${successorsOf(graphAdj)(folder).join(', ')}\n`);
}
for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
const resolvedCount = edges.filter((e) => e.to !== undefined).length;
const summary = `${files.length} files, ${resolvedCount} imports${warnings.length > 0 ? ` (${warnings.length} unresolved)` : ''}, ${folders.length} folders in ${show(root)}`;
if (violations.length > 0) {
  process.stderr.write(`${violations.join('\n')}\n`);
  process.stderr.write(`check-layers: ${violations.length} violation(s); ${summary}\n`);
  process.exit(1);
}
(printGraph ? process.stderr : process.stdout).write(`check-layers: ok; ${summary}\n`);
