import type { IRChunk } from '../../ir/index.js';

const OPEN = '<think>';
const CLOSE = '</think>';
/** Leading whitespace held while waiting to see whether `<think>` follows; past this it is just text. */
const MAX_LEADING_WHITESPACE = 64;

const enum Mode {
  /** No content seen yet, or only whitespace and a prefix of `<think>`. */
  Detect,
  /** Inside `<think>`: content is reasoning until `</think>`. */
  Thinking,
  /** Just after `</think>`: the blank lines models put there are dropped. */
  AfterThink,
  /** Plain content from here on. */
  Text,
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Splits content that carries reasoning inline as `<think>…</think>` (what
 * DeepSeek-R1 or Qwen emit through servers that do not separate it, such as
 * llama.cpp without a reasoning format) into reasoning and text chunks. Only
 * a `<think>` at the very start of the content counts. Tags may be split
 * across deltas: the few characters that could begin a tag are held back
 * until the next delta decides. Once the content is known to be plain text,
 * deltas pass straight through.
 */
export class ThinkTagSplitter {
  private mode = Mode.Detect;
  /** Held text: a possible start of `<think>` (Detect) or of `</think>` (Thinking). */
  private held = '';
  /** Inside `<think>` with nothing but whitespace seen yet. */
  private thinkStart = true;

  push(delta: string, out: IRChunk[]): void {
    switch (this.mode) {
      case Mode.Text:
        if (delta !== '') out.push({ type: 'text', delta });
        return;
      case Mode.Detect:
        this.detect(delta, out);
        return;
      case Mode.Thinking:
        this.thinking(delta, out);
        return;
      case Mode.AfterThink:
        this.afterThink(delta, out);
        return;
    }
  }

  /**
   * The upstream separates reasoning itself (a reasoning delta came first):
   * content is plain text, so nothing needs holding back.
   */
  plainText(): void {
    if (this.mode === Mode.Detect && this.held === '') this.mode = Mode.Text;
  }

  /** Releases anything held (the content ended): an unclosed think block stays reasoning. */
  flush(out: IRChunk[]): void {
    const held = this.held;
    this.held = '';
    if (held === '') return;
    if (this.mode === Mode.Thinking) out.push({ type: 'reasoning', delta: held });
    else if (this.mode === Mode.Detect) out.push({ type: 'text', delta: held });
  }

  private detect(delta: string, out: IRChunk[]): void {
    const pending = this.held + delta;
    let start = 0;
    while (start < pending.length && isSpace(pending.charCodeAt(start))) start++;
    const rest = pending.length - start;
    if (rest === 0 && pending.length <= MAX_LEADING_WHITESPACE) {
      this.held = pending;
      return;
    }
    if (rest > 0 && rest < OPEN.length && OPEN.startsWith(pending.slice(start))) {
      this.held = pending;
      return;
    }
    this.held = '';
    if (pending.startsWith(OPEN, start)) {
      this.mode = Mode.Thinking;
      this.thinking(pending.slice(start + OPEN.length), out);
    } else {
      this.mode = Mode.Text;
      if (pending !== '') out.push({ type: 'text', delta: pending });
    }
  }

  private thinking(delta: string, out: IRChunk[]): void {
    let s = this.held === '' ? delta : this.held + delta;
    this.held = '';
    if (this.thinkStart) {
      // The line break models put right after `<think>` is not reasoning.
      let start = 0;
      while (start < s.length && isSpace(s.charCodeAt(start))) start++;
      if (start === s.length) return;
      this.thinkStart = false;
      if (start > 0) s = s.slice(start);
    }
    const close = s.indexOf(CLOSE);
    if (close >= 0) {
      if (close > 0) out.push({ type: 'reasoning', delta: s.slice(0, close) });
      this.mode = Mode.AfterThink;
      this.afterThink(s.slice(close + CLOSE.length), out);
      return;
    }
    // Hold back a suffix that could be the start of `</think>`.
    let keep = s.length;
    for (let p = Math.max(0, s.length - (CLOSE.length - 1)); p < s.length; p++) {
      if (s.charCodeAt(p) === 0x3c && CLOSE.startsWith(s.slice(p))) {
        keep = p;
        break;
      }
    }
    if (keep > 0) out.push({ type: 'reasoning', delta: keep === s.length ? s : s.slice(0, keep) });
    if (keep < s.length) this.held = s.slice(keep);
  }

  private afterThink(delta: string, out: IRChunk[]): void {
    let start = 0;
    while (start < delta.length && isSpace(delta.charCodeAt(start))) start++;
    if (start === delta.length) return;
    this.mode = Mode.Text;
    out.push({ type: 'text', delta: start === 0 ? delta : delta.slice(start) });
  }
}
