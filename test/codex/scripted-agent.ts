/**
 * A scripted "model" for end-to-end runs of Codex CLI: it decides its next
 * move from the conversation the gateway sends upstream, the way a real model
 * would, so the same script can sit behind a Chat Completions simulator or an
 * Ollama one.
 */

export interface ToolOffer {
  readonly name: string;
}

export interface ConversationView {
  /** Tool names offered upstream (already flattened by the gateway). */
  readonly tools: readonly ToolOffer[];
  /** Text of every tool result message so far. */
  readonly toolResults: readonly string[];
  readonly lastUserText: string;
}

export type AgentMove =
  | { readonly kind: 'call'; readonly name: string; readonly arguments: Record<string, unknown> }
  | { readonly kind: 'say'; readonly text: string };

export const PROOF_FILE = 'proof.txt';
export const PROOF_TEXT = 'tollgate-bridge-ok';

/** Turn 1: run a shell command through `exec_command`; turn 2: report what it printed. */
export function shellScript(view: ConversationView): AgentMove {
  if (view.toolResults.length === 0) {
    return { kind: 'call', name: 'exec_command', arguments: { cmd: `echo ${PROOF_TEXT} > ${PROOF_FILE} && cat ${PROOF_FILE}` } };
  }
  const saw = view.toolResults.some((r) => r.includes(PROOF_TEXT));
  return { kind: 'say', text: saw ? `The command printed ${PROOF_TEXT} and the file is written.` : 'The command output was missing.' };
}

/** Calls a tool from Codex's `multi_agent_v1` namespace, then reports what Codex answered. */
export function namespaceScript(view: ConversationView): AgentMove {
  if (view.toolResults.length === 0) {
    const tool = view.tools.find((t) => t.name.includes('close_agent'));
    if (!tool) return { kind: 'say', text: 'No close_agent tool was offered.' };
    return { kind: 'call', name: tool.name, arguments: { target: 'agent-that-does-not-exist' } };
  }
  const result = view.toolResults.join(' ');
  const rejected = /unsupported call/i.test(result);
  return { kind: 'say', text: rejected ? 'Codex rejected the namespaced call.' : 'Codex accepted the namespaced call.' };
}
