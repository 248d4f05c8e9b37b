import { randomToken } from '../../util/ids.js';

/** An id in OpenAI's style for a response or tool call whose upstream gave none. */
export function newId(prefix: 'chatcmpl-' | 'call_'): string {
  return prefix + randomToken();
}
