import { randomToken } from '../../util/ids.js';

/** Makes the ids of a response and its items; injectable so tests can replay byte for byte. */
export type NewId = (prefix: string) => string;

/** OpenAI-style ids (`resp_…`, `msg_…`, `fc_…`): a prefix and 32 random hex digits. */
export const randomId: NewId = (prefix) => prefix + randomToken();
