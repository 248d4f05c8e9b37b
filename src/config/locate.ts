/**
 * Maps a path in the parsed value (`['providers', 1, 'base_url']`) back to a
 * line and column in the YAML source, so every problem can point at the file.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './errors.js';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface Locator {
  /**
   * Position of the value at `path`. With `preferKey`, the position of the key
   * itself (for unknown keys). When the path does not exist (a missing key),
   * the position of its nearest existing ancestor.
   */
  locate(path: readonly PathSegment[], preferKey?: boolean): Position | undefined;
  /** Position of a source offset. */
  at(offset: number | undefined): Position | undefined;
}

export function createLocator(doc: Document, lineCounter: LineCounter): Locator {
  const at = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  const start = (node: unknown): number | undefined => (isNode(node) ? node.range?.[0] : undefined);

  return {
    at,
    locate(path, preferKey = false) {
      let current: unknown = doc.contents;
      let lastFound: number | undefined = start(current);
      for (let i = 0; i < path.length; i++) {
        const segment = path[i];
        if (isAlias(current)) current = current.resolve(doc);
        if (isMap(current)) {
          const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
          if (pair === undefined) return at(lastFound);
          const isLast = i === path.length - 1;
          const keyOffset = start(pair.key);
          if (isLast && preferKey) return at(keyOffset ?? lastFound);
          // `key:` with nothing after it has no useful value position: point at the key.
          const valueOffset = isScalar(pair.value) && pair.value.value === null ? undefined : start(pair.value);
          lastFound = valueOffset ?? keyOffset ?? lastFound;
          current = pair.value;
        } else if (isSeq(current) && typeof segment === 'number') {
          const item = current.items[segment];
          if (item === undefined) return at(lastFound);
          lastFound = start(item) ?? lastFound;
          current = item;
        } else {
          return at(lastFound);
        }
      }
      return at(lastFound);
    },
  };
}

function isNode(value: unknown): value is Node {
  return isAlias(value) || isMap(value) || isSeq(value) || isScalar(value);
}
