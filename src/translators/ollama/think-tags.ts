import type { IRChunk } from '../../ir/index.js';

const OPEN = '<think>';
const CLOSE = '</think>';

type TagState =
  /** Nothing but whitespace seen yet: the content may still open with `<think>`. */
  | 'detect'
  /** Inside `<think>…`: content is reasoning until `</think>`. */
  | 'inside'
  /** Just after `</think>`: whitespace separating reasoning from the answer is dropped. */
  | 'after'
  /** Plain text from here on. */
  | 'text';

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function firstNonSpace(text: string): number {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Length of the longest proper prefix of `tag` that `text` ends with. */
function partialTagSuffix(text: string, tag: string): number {
  for (let k = Math.min(tag.length - 1, text.length); k > 0; k--) {
    let match = true;
    const offset = text.length - k;
    for (let i = 0; i < k; i++) {
      if (text.charCodeAt(offset + i) !== tag.charCodeAt(i)) {
        match = false;
        break;
      }
    }
    if (match) return k;
  }
  return 0;
}

/**
 * Splits message content that opens with a `<think>…</think>` block (models
 * run without Ollama's thinking parser put their reasoning there) into
 * reasoning and text. Tags may be split across stream lines: only the few
 * characters that could still be part of a tag are held back. Content that
 * does not open with the tag passes through as text untouched.
 */
export class ThinkTagSplitter {
  private state: TagState = 'detect';
  /** Content held back while a tag may be incomplete. */
  private held = '';
  private reasoningStarted = false;

  push(content: string, out: IRChunk[]): void {
    switch (this.state) {
      case 'text':
        if (content !== '') out.push({ type: 'text', delta: content });
        return;
      case 'inside':
        this.inside(content, out);
        return;
      case 'after':
        this.after(content, out);
        return;
      case 'detect':
        this.detect(content, out);
        return;
    }
  }

  /** Releases whatever is held back (at the end of the reply). */
  flush(out: IRChunk[]): void {
    const held = this.held;
    this.held = '';
    if (held === '') return;
    if (this.state === 'inside') out.push({ type: 'reasoning', delta: held });
    else if (this.state === 'detect') out.push({ type: 'text', delta: held });
  }

  private detect(content: string, out: IRChunk[]): void {
    const buffered = this.held === '' ? content : this.held + content;
    const start = firstNonSpace(buffered);
    if (start === buffered.length) {
      this.held = buffered;
      return;
    }
    const available = buffered.length - start;
    if (available < OPEN.length && OPEN.startsWith(buffered.slice(start))) {
      this.held = buffered;
      return;
    }
    this.held = '';
    if (buffered.startsWith(OPEN, start)) {
      this.state = 'inside';
      this.inside(buffered.slice(start + OPEN.length), out);
      return;
    }
    this.state = 'text';
    out.push({ type: 'text', delta: buffered });
  }

  private inside(content: string, out: IRChunk[]): void {
    let buffered = this.held === '' ? content : this.held + content;
    this.held = '';
    if (!this.reasoningStarted) {
      // The newline after `<think>` is formatting, not reasoning.
      const start = firstNonSpace(buffered);
      if (start === buffered.length) return;
      buffered = start === 0 ? buffered : buffered.slice(start);
      this.reasoningStarted = true;
    }
    const close = buffered.indexOf(CLOSE);
    if (close !== -1) {
      if (close > 0) out.push({ type: 'reasoning', delta: buffered.slice(0, close) });
      this.state = 'after';
      this.after(buffered.slice(close + CLOSE.length), out);
      return;
    }
    const keep = partialTagSuffix(buffered, CLOSE);
    const emit = buffered.length - keep;
    if (emit > 0) out.push({ type: 'reasoning', delta: keep === 0 ? buffered : buffered.slice(0, emit) });
    if (keep > 0) this.held = buffered.slice(emit);
  }

  private after(content: string, out: IRChunk[]): void {
    const start = firstNonSpace(content);
    if (start === content.length) return;
    this.state = 'text';
    out.push({ type: 'text', delta: start === 0 ? content : content.slice(start) });
  }
}
