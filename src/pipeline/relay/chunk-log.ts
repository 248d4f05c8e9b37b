/**
 * The bytes of one relayed stream, kept as the Buffers they arrived in
 * (references, never copies while the stream flows). What needs the bytes
 * later — the usage and error marks of the final events, the text for a
 * token count when no usage came — reads them once, at the end.
 */
export class ChunkLog {
  readonly chunks: Buffer[] = [];
  bytes = 0;

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** The last `n` bytes (all of them when fewer): a view when one read holds them, else one copy of just those bytes. */
  tail(n: number): Buffer {
    const chunks = this.chunks;
    const last = chunks[chunks.length - 1];
    if (last === undefined) return Buffer.alloc(0);
    if (last.length >= n) return last.subarray(last.length - n);
    const want = Math.min(n, this.bytes);
    let first = chunks.length - 1;
    let have = last.length;
    while (have < want) have += chunks[--first]!.length;
    const out = Buffer.allocUnsafe(want);
    let at = 0;
    const skip = have - want;
    const head = chunks[first]!;
    at += head.copy(out, 0, skip);
    for (let i = first + 1; i < chunks.length; i++) at += chunks[i]!.copy(out, at);
    return out;
  }
}
