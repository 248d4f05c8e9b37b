import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startOllamaSimulator } from '../simulators/ollama.js';
import type { ChatCall, SimulatorReply } from '../simulators/ollama.js';
import { startOpenAIUpstream } from '../simulators/openai-upstream.js';
import type { RecordedRequest } from '../simulators/openai-upstream.js';
import { codexExec, ensureCodex } from './codex-cli.js';
import { PROOF_FILE, PROOF_TEXT, namespaceScript, shellScript } from './scripted-agent.js';
import type { AgentMove, ConversationView } from './scripted-agent.js';

type ChatMessage = { role: string; content?: unknown; tool_calls?: unknown[] };
type Script = (view: ConversationView) => AgentMove;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

beforeAll(async () => {
  await ensureCodex();
}, 600_000);

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'object' && p !== null && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return '';
}

function viewOf(messages: ChatMessage[], tools: unknown): ConversationView {
  const offered = Array.isArray(tools) ? tools.map((t) => ({ name: String((t as { function?: { name?: string } }).function?.name ?? '') })) : [];
  return {
    tools: offered,
    toolResults: messages.filter((m) => m.role === 'tool').map((m) => textOf(m.content)),
    lastUserText: textOf(messages.filter((m) => m.role === 'user').at(-1)?.content),
  };
}

function chatFrame(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-agent', object: 'chat.completion.chunk', created: 1, model: 'agent', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** Plays a scripted move as a Chat Completions stream, as vLLM would send it. */
function playChat(res: ServerResponse, move: AgentMove): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chatFrame({ role: 'assistant', content: '' }));
  if (move.kind === 'call') {
    const args = JSON.stringify(move.arguments);
    res.write(chatFrame({ tool_calls: [{ index: 0, id: 'call_agent_1', type: 'function', function: { name: move.name, arguments: '' } }] }));
    res.write(chatFrame({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 10) } }] }));
    res.write(chatFrame({ tool_calls: [{ index: 0, function: { arguments: args.slice(10) } }] }));
    res.write(chatFrame({}, 'tool_calls'));
  } else {
    for (const word of move.text.split(/(?<= )/)) res.write(chatFrame({ content: word }));
    res.write(chatFrame({}, 'stop'));
  }
  res.write(`data: ${JSON.stringify({ id: 'chatcmpl-agent', object: 'chat.completion.chunk', created: 1, model: 'agent', choices: [], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } })}\n\n`);
  res.end('data: [DONE]\n\n');
}

async function chatAgent(script: Script) {
  const upstream = await startOpenAIUpstream((req: RecordedRequest, res) => {
    const body = req.body as { messages: ChatMessage[]; tools?: unknown };
    playChat(res, script(viewOf(body.messages, body.tools)));
  });
  cleanups.push(() => upstream.close());
  return upstream;
}

async function gatewayFor(kind: 'openai-compatible' | 'ollama', baseUrl: string) {
  const gateway = await startTestGateway(config([provider({ name: 'agent', kind, baseUrl })], [model('agent-model', ['agent/agent-model'])]));
  cleanups.push(() => gateway.close());
  return gateway;
}

function workdir(): string {
  return mkdtempSync(join(new URL('../../.cache', import.meta.url).pathname, 'codex-work-'));
}

describe('Codex CLI through Tollgate', () => {
  it('runs a shell command via exec_command against a Chat Completions upstream', async () => {
    const upstream = await chatAgent(shellScript);
    const gateway = await gatewayFor('openai-compatible', upstream.url);
    const cwd = workdir();
    const run = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'Write the proof file.', cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(cwd, PROOF_FILE), 'utf8').trim()).toBe(PROOF_TEXT);
    expect(run.stdout).toContain(`The command printed ${PROOF_TEXT} and the file is written.`);
    const chatRequests = upstream.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chatRequests.length).toBeGreaterThanOrEqual(2);
    const first = chatRequests[0]!.body as { messages: ChatMessage[]; tools: Array<{ function: { name: string } }> };
    expect(first.messages[0]?.role).toBe('system');
    expect(first.tools.map((t) => t.function.name)).toContain('exec_command');
  }, 120_000);

  it('runs a shell command via exec_command against an Ollama upstream', async () => {
    const ollama = await startOllamaSimulator({
      chunkDelayMs: 1,
      handler: (call: ChatCall): SimulatorReply => {
        const messages = call.body['messages'] as ChatMessage[];
        const move = shellScript(viewOf(messages, call.body['tools']));
        return move.kind === 'call'
          ? { kind: 'reply', thinking: ['I will write ', 'the file.'], toolCalls: [{ name: move.name, arguments: move.arguments as never }] }
          : { kind: 'reply', content: move.text.split(/(?<= )/) };
      },
      models: ['agent-model'],
    });
    cleanups.push(() => ollama.close());
    const gateway = await gatewayFor('ollama', ollama.url);
    const cwd = workdir();
    const run = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'Write the proof file.', cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(cwd, PROOF_FILE), 'utf8').trim()).toBe(PROOF_TEXT);
    expect(run.stdout).toContain(`The command printed ${PROOF_TEXT} and the file is written.`);
    const second = ollama.requests.filter((r) => r.path === '/api/chat')[1]!.body as { messages: Array<Record<string, unknown>> };
    // The reasoning of turn one comes back as Ollama `thinking`, never as text.
    expect(second.messages.some((m) => m['role'] === 'assistant' && typeof m['thinking'] === 'string' && m['thinking'].includes('I will write'))).toBe(true);
    expect(JSON.stringify(second.messages.filter((m) => m['role'] !== 'assistant'))).not.toContain('I will write');
  }, 120_000);

  it('returns a namespaced tool call the way Codex accepts it', async () => {
    const upstream = await chatAgent(namespaceScript);
    const gateway = await gatewayFor('openai-compatible', upstream.url);
    const run = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'Close the agent.', cwd: workdir() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Codex accepted the namespaced call.');
  }, 120_000);

  it('reports an upstream failure mid-stream without a storm of retries', async () => {
    const upstream = await startOpenAIUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chatFrame({ role: 'assistant', content: '' }));
      res.write(chatFrame({ content: 'Starting ' }));
      res.write(chatFrame({ content: 'the work' }), () => setTimeout(() => res.destroy(), 20));
    });
    cleanups.push(() => upstream.close());
    const gateway = await gatewayFor('openai-compatible', upstream.url);
    const run = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'Do it.', cwd: workdir(), timeoutMs: 90_000 });
    expect(run.code).not.toBe(0);
    // Codex shows the gateway's own words: what broke, and that the answer is incomplete.
    expect(run.stderr).toContain("The upstream provider 'agent' broke off its reply midway");
    expect(run.stderr).not.toMatch(/Reconnecting/);
    // The gateway never retries after the first byte, and its failure code is one Codex does not loop on
    // (a 5xx would have cost up to 30 requests, any other code 6).
    expect(upstream.requests).toHaveLength(1);
  }, 120_000);

  it('falls back to a second upstream when the primary is down, for a whole Codex turn', async () => {
    const secondary = await chatAgent(shellScript);
    const gateway = await startTestGateway(
      config(
        [provider({ name: 'primary', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' }), provider({ name: 'secondary', kind: 'openai-compatible', baseUrl: secondary.url })],
        [model('agent-model', ['primary/agent-model', 'secondary/agent-model'])],
      ),
    );
    cleanups.push(() => gateway.close());
    const cwd = workdir();
    const run = await codexExec({ baseUrl: gateway.url, model: 'agent-model', prompt: 'Write the proof file.', cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(cwd, PROOF_FILE), 'utf8').trim()).toBe(PROOF_TEXT);
    expect(run.stdout).toContain(`The command printed ${PROOF_TEXT} and the file is written.`);
    expect(secondary.requests.filter((r) => r.path.endsWith('/chat/completions')).length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
