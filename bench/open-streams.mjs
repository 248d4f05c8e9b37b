// Load side of the memory check, run in its own process: opens COUNT streaming requests on raw
// sockets (the cheapest client there is), waits until each has its response head and a first
// event, holds them open, then closes them all.
//
//   node bench/open-streams.mjs --url URL --body-file F --count 1000 --hold-ms 10000 [--header 'name: value' …]
//
// Prints `OPEN {...}` once every stream is open (or the open timeout passed) and `DONE {...}`
// when it has closed them.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'body-file': { type: 'string' },
    count: { type: 'string', default: '1000' },
    'hold-ms': { type: 'string', default: '10000' },
    'open-timeout-ms': { type: 'string', default: '20000' },
    header: { type: 'string', multiple: true, default: [] },
  },
});
const url = new URL(values.url);
const body = readFileSync(values['body-file']);
const count = Number(values.count);
const holdMs = Number(values['hold-ms']);
const head = Buffer.from(
  `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n${values.header.map((h) => `${h}\r\n`).join('')}connection: keep-alive\r\n\r\n`,
);
const request = Buffer.concat([head, body]);

const stats = { open: 0, failed: 0, closedEarly: 0, bytes: 0, statuses: {} };
const sockets = [];
let resolveAllOpen;
const allOpen = new Promise((resolve) => {
  resolveAllOpen = resolve;
});
let settled = 0;
let closing = false;

function settle() {
  settled++;
  if (settled === count) resolveAllOpen();
}

function open() {
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  let received = '';
  let state = 'head';
  socket.setNoDelay(true);
  socket.on('connect', () => socket.write(request));
  socket.on('data', (chunk) => {
    stats.bytes += chunk.length;
    if (state !== 'head') return;
    received += chunk.toString('latin1');
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return;
    const status = received.slice(9, 12);
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    if (status !== '200') {
      state = 'failed';
      stats.failed++;
      settle();
    } else if (received.length > end + 4) {
      // The head and the first bytes of the body: the stream is open and flowing.
      state = 'open';
      stats.open++;
      received = '';
      settle();
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (state === 'head') {
      stats.failed++;
      settle();
    } else if (state === 'open' && !closing) stats.closedEarly++;
    state = 'closed';
  });
  sockets.push(socket);
}

// Open in batches: a thousand SYNs at once would overflow the listen backlog.
for (let i = 0; i < count; i += 100) {
  for (let j = i; j < Math.min(count, i + 100); j++) open();
  await new Promise((r) => setTimeout(r, 20));
}
const timeout = setTimeout(resolveAllOpen, Number(values['open-timeout-ms']));
await allOpen;
clearTimeout(timeout);
process.stdout.write(`OPEN ${JSON.stringify(stats)}\n`);
await new Promise((r) => setTimeout(r, holdMs));
const stillOpen = sockets.filter((s) => !s.destroyed).length;
closing = true;
for (const socket of sockets) socket.destroy();
process.stdout.write(`DONE ${JSON.stringify({ ...stats, stillOpen })}\n`);
