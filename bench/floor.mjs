// The floor: the cheapest HTTP pass-through proxy we know how to write in Node — node:http in
// front, undici's low-level dispatch() behind (no intermediate streams, no body parsing, no
// logs, no metrics). Whatever Tollgate costs above this is the price of its features.
//
//   node bench/floor.mjs --upstream http://127.0.0.1:PORT [--port N]
//
// Prints `LISTENING <port>` when ready. It forwards method, path and body as they are.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' } } });
if (!values.upstream) throw new Error('--upstream is required');
const origin = new URL(values.upstream).origin;
// As many connections as the memory check opens streams; undici opens them only when needed.
const pool = new Pool(origin, { connections: 2048, pipelining: 1, keepAliveTimeout: 30_000 });

function relay(req, res, body) {
  let controller;
  res.on('drain', () => controller?.resume());
  res.on('close', () => {
    if (!res.writableFinished) controller?.abort(new Error('client closed'));
  });
  pool.dispatch(
    { origin, method: req.method, path: req.url, headers: { 'content-type': 'application/json' }, body },
    {
      onRequestStart(c) {
        controller = c;
      },
      onResponseStart(_c, status, headers) {
        const out = { 'content-type': headers['content-type'] ?? 'application/octet-stream' };
        if (headers['content-length'] !== undefined) out['content-length'] = headers['content-length'];
        res.writeHead(status, out);
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_c, error) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: error.message, type: 'server_error', param: null, code: 'bad_gateway' } }));
      },
    },
  );
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  const parts = [];
  req.on('data', (chunk) => parts.push(chunk));
  req.on('end', () => relay(req, res, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
