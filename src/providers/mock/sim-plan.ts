/**
 * What the simulated model answers: a format-neutral plan (reasoning, text
 * deltas, tool calls, finish reason, usage) that the Chat and Responses
 * renderers turn into wire frames. Everything fixed by the configuration is
 * split into deltas once, when the server starts.
 */
import type { MockModelScript } from '../../config/types.js';
import type { MockDirectives } from './sim-directives.js';
import type { PromptFacts } from './sim-prompt.js';
import { countWords, estimateTokens, firstWords, splitDeltas, splitEvenly } from './sim-text.js';

/** Text together with its word-sized deltas (one delta per word). */
export interface DeltaText {
  readonly text: string;
  readonly deltas: readonly string[];
}

export interface PlannedToolCall {
  /** `call_<n>`, numbered after the tool calls already in the conversation. */
  readonly callId: string;
  readonly name: string;
  /** JSON object as a string. */
  readonly arguments: string;
  /** `arguments` split into two or more pieces. */
  readonly argumentDeltas: readonly string[];
}

export type PlanFinish = 'stop' | 'tool_calls' | 'length';

export interface ReplyPlan {
  readonly reasoning: DeltaText | undefined;
  readonly text: DeltaText;
  readonly toolCalls: readonly PlannedToolCall[];
  readonly finish: PlanFinish;
  readonly usage: { readonly input: number; readonly output: number; readonly reasoning: number };
}

interface PreparedToolCall {
  readonly name: string;
  readonly arguments: string;
  readonly argumentDeltas: readonly string[];
  readonly words: number;
}

/** A script with its texts already split. */
export interface PreparedScript {
  readonly reply: DeltaText | undefined;
  readonly reasoning: DeltaText | undefined;
  readonly toolCalls: readonly PreparedToolCall[];
}

export interface PlanInput {
  readonly facts: PromptFacts;
  readonly directives: MockDirectives;
  /** The last user message with the directives removed. */
  readonly userText: string;
  readonly script: PreparedScript;
  /** `max_tokens` / `max_completion_tokens` / `max_output_tokens`, when the client set one. */
  readonly maxOutputTokens: number | undefined;
}

const GREETING = "Hello from Tollgate's simulated model.";
const ECHO_WORDS = 40;
const TOOL_RESULT_CHARS = 200;
const DEFAULT_REASONING = 'The user sent a message. A short, friendly and deterministic answer fits best here.';
/** Vocabulary of `[mock:words=N]` replies, with and without the leading space. */
const VOCABULARY = 'the gateway streams tokens from the simulated model to every client in order'.split(' ');
const VOCABULARY_SPACED = VOCABULARY.map((word) => ` ${word}`);

function deltaText(text: string): DeltaText {
  return { text, deltas: splitDeltas(text) };
}

const PREPARED_DEFAULT_REASONING = deltaText(DEFAULT_REASONING);
const EMPTY_TEXT: DeltaText = { text: '', deltas: [] };

function prepareToolCall(name: string, args: string): PreparedToolCall {
  // Long arguments stream in ~24-character pieces, short ones still in two.
  const parts = Math.max(2, Math.ceil(args.length / 24));
  return { name, arguments: args, argumentDeltas: splitEvenly(args, parts), words: countWords(name) + countWords(args) };
}

export function prepareScript(script: MockModelScript | undefined): PreparedScript {
  return {
    reply: script?.reply === undefined ? undefined : deltaText(script.reply),
    reasoning: script?.reasoning === undefined ? undefined : deltaText(script.reasoning),
    toolCalls: (script?.toolCalls ?? []).map((call) => prepareToolCall(call.name, JSON.stringify(call.arguments))),
  };
}

/** Exactly `count` words from the fixed vocabulary. */
function vocabularyText(count: number): DeltaText {
  const deltas = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const k = i % VOCABULARY.length;
    deltas[i] = (i === 0 ? VOCABULARY[k] : VOCABULARY_SPACED[k]) ?? '';
  }
  return { text: deltas.join(''), deltas };
}

function replyText(input: PlanInput): DeltaText {
  const { directives, facts, script } = input;
  if (directives.words !== undefined) return vocabularyText(directives.words);
  if (facts.toolResult !== undefined) {
    return deltaText(`Tool result: ${facts.toolResult.slice(0, TOOL_RESULT_CHARS)}`);
  }
  if (script.reply !== undefined) return script.reply;
  const echo = firstWords(input.userText, ECHO_WORDS);
  return deltaText(echo === '' ? `${GREETING} You said nothing.` : `${GREETING} You said: ${echo}`);
}

/** Keeps the first `words` words of a reply (for a token ceiling). */
function truncate(text: DeltaText, words: number): DeltaText {
  const deltas = text.deltas.slice(0, words);
  return { text: deltas.join(''), deltas };
}

export function planReply(input: PlanInput): ReplyPlan {
  const { directives, facts, script } = input;
  const reasoning = script.reasoning ?? (directives.think ? PREPARED_DEFAULT_REASONING : undefined);
  const reasoningWords = reasoning?.deltas.length ?? 0;
  const inputTokens = estimateTokens(facts.words);

  const firstTurn = facts.toolResult === undefined;
  const scripted = directives.tool ? [prepareToolCall(directives.tool.name, directives.tool.arguments)] : script.toolCalls;
  if (firstTurn && scripted.length > 0) {
    let words = reasoningWords;
    const toolCalls = scripted.map((call, i): PlannedToolCall => {
      words += call.words;
      return {
        callId: `call_${facts.priorToolCalls + i + 1}`,
        name: call.name,
        arguments: call.arguments,
        argumentDeltas: call.argumentDeltas,
      };
    });
    return {
      reasoning,
      text: EMPTY_TEXT,
      toolCalls,
      finish: 'tool_calls',
      usage: { input: inputTokens, output: estimateTokens(words), reasoning: estimateTokens(reasoningWords) },
    };
  }

  let text = replyText(input);
  let finish: PlanFinish = 'stop';
  const max = input.maxOutputTokens;
  if (max !== undefined && estimateTokens(reasoningWords + text.deltas.length) > max) {
    // The inverse of estimateTokens, rounded down so the truncated reply fits.
    text = truncate(text, Math.max(0, Math.floor((max * 3) / 4) - reasoningWords));
    finish = 'length';
  }
  return {
    reasoning,
    text,
    toolCalls: [],
    finish,
    usage: {
      input: inputTokens,
      output: estimateTokens(reasoningWords + text.deltas.length),
      reasoning: estimateTokens(reasoningWords),
    },
  };
}
