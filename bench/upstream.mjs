// The benchmark's upstream: a model server that answers at once from precomputed bytes, so that
// what the benchmark measures is the proxy in front of it. It runs in its own process (its CPU
// is not the proxy's) and prints `LISTENING <port>` when ready.
//
//   node bench/upstream.mjs [--port N]
//
// The model name in the request body selects the reply: `e<N>` is N content events sent in one
// write; `e<N>-p<MS>` paces them, one write every MS milliseconds (a real model's stream
// arrives in many reads). Endpoints: POST /v1/chat/completions (JSON or SSE), POST
// /v1/responses (SSE or JSON), POST /api/chat (Ollama NDJSON or JSON), GET /v1/models,
// GET /api/tags, GET /healthz.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { chatJson, chatSse, ollamaJson, ollamaNdjson, responsesJson, responsesSse } from './payloads.mjs';

const BUILDERS = { chatSse, chatJson, responsesSse, responsesJson, ollamaNdjson, ollamaJson };
const CONTENT_TYPES = {
  chatSse: 'text/event-stream; charset=utf-8',
  responsesSse: 'text/event-stream; charset=utf-8',
  ollamaNdjson: 'application/x-ndjson',
  chatJson: 'application/json',
  responsesJson: 'application/json',
  ollamaJson: 'application/json',
};
const MAX_EVENTS = 100_000;
/** What GET /v1/models and /api/tags list (readiness checks only look for an answer). */
const MODEL_ID = 'e50';

/** kind:n → { events: Buffer[], whole: Buffer }, built on first use. */
const cache = new Map();

function reply(kind, n) {
  const key = `${kind}:${n}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    const events = BUILDERS[kind](n);
    entry = { events, whole: Buffer.concat(events) };
    cache.set(key, entry);
  }
  return entry;
}

function parseModel(model) {
  const match = /^e(\d+)(?:-p(\d+))?$/.exec(typeof model === 'string' ? model : '');
  if (!match) return { events: 50, paceMs: 0 };
  return { events: Math.min(Number(match[1]), MAX_EVENTS), paceMs: match[2] === undefined ? 0 : Number(match[2]) };
}

// One timer per pace value drives every stream with that pace: a timer per stream would make
// the simulator, not the proxy, the bottleneck at high concurrency.
const paced = new Map();

function tick(streams) {
  for (const stream of streams) {
    stream.res.write(stream.events[stream.next++]);
    if (stream.next === stream.events.length) {
      streams.delete(stream);
      stream.res.end();
    }
  }
}

function startPaced(res, events, paceMs) {
  let streams = paced.get(paceMs);
  if (streams === undefined) {
    streams = new Set();
    paced.set(paceMs, streams);
    const set = streams;
    setInterval(() => tick(set), paceMs);
  }
  const stream = { res, events, next: 1 };
  res.write(events[0]);
  if (events.length === 1) {
    res.end();
    return;
  }
  streams.add(stream);
  res.on('close', () => streams.delete(stream));
}

function send(res, kind, n, paceMs) {
  const { events, whole } = reply(kind, n);
  const contentType = CONTENT_TYPES[kind];
  if (!kind.endsWith('Sse') && kind !== 'ollamaNdjson') {
    res.writeHead(200, { 'content-type': contentType, 'content-length': whole.length });
    res.end(whole);
    return;
  }
  // Chunked, as model servers stream: no content-length.
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
  if (paceMs > 0) startPaced(res, events, paceMs);
  else {
    res.write(whole);
    res.end();
  }
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const POST_ROUTES = {
  '/v1/chat/completions': (stream) => (stream === true ? 'chatSse' : 'chatJson'),
  '/chat/completions': (stream) => (stream === true ? 'chatSse' : 'chatJson'),
  '/v1/responses': (stream) => (stream === true ? 'responsesSse' : 'responsesJson'),
  '/api/chat': (stream) => (stream === false ? 'ollamaJson' : 'ollamaNdjson'),
};

function handle(req, res, raw) {
  const url = req.url ?? '/';
  if (req.method === 'GET') {
    if (url === '/healthz') return sendJson(res, 200, { ok: true });
    if (url === '/v1/models') return sendJson(res, 200, { object: 'list', data: [{ id: MODEL_ID, object: 'model', created: 0, owned_by: 'bench' }] });
    if (url === '/api/tags') return sendJson(res, 200, { models: [{ name: MODEL_ID, model: MODEL_ID }] });
    return sendJson(res, 404, { error: { message: `no route ${url}`, type: 'invalid_request_error', param: null, code: 'not_found' } });
  }
  const route = POST_ROUTES[url];
  if (route === undefined) return sendJson(res, 404, { error: { message: `no route ${url}`, type: 'invalid_request_error', param: null, code: 'not_found' } });
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error', param: null, code: 'bad_json' } });
  }
  const { events, paceMs } = parseModel(body.model);
  send(res, route(body.stream), events, paceMs);
}

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const parts = [];
  req.on('data', (chunk) => parts.push(chunk));
  req.on('end', () => handle(req, res, parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8')));
});
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
