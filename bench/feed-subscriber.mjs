// A web console watching the live feed, in a process of its own so that its CPU is never counted
// as the gateway's: the bench's `tollgate-feed` target has one of these subscribed.
//
//   node bench/feed-subscriber.mjs --url http://127.0.0.1:PORT/admin/v1/events --token TOKEN
//
// Connects with the admin token as a console does, reads the Server-Sent Events stream
// continuously (so the gateway never has to queue for it), and counts the `event: request`
// events and the events the gateway announced as dropped. Started with an IPC channel: sends
// `{ subscribed: true }` once the stream is open, answers `'count'` with `{ requests, dropped }`,
// and exits non-zero when the stream ends or fails.
import { request } from 'undici';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' } } });
if (args.url === undefined || args.token === undefined || process.send === undefined) {
  process.stderr.write('usage (from the bench, with an IPC channel): node bench/feed-subscriber.mjs --url URL --token TOKEN\n');
  process.exit(2);
}

const counts = { requests: 0, dropped: 0 };
process.on('message', (message) => {
  if (message === 'count') process.send({ ...counts });
});

const res = await request(args.url, { headers: { authorization: `Bearer ${args.token}`, accept: 'text/event-stream' }, bodyTimeout: 0 });
if (res.statusCode !== 200) {
  process.stderr.write(`feed-subscriber: ${args.url} answered ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}\n`);
  process.exit(1);
}
process.send({ subscribed: true });

// Only the event lines matter here: the count of `event: request` (one per finished call) and the
// `count` of each `event: dropped`, whose data line follows it. The data lines are not parsed,
// as a console would parse them, because this process's work is not what is measured.
let pending = '';
let droppedNext = false;
res.body.setEncoding('utf8');
for await (const text of res.body) {
  const lines = (pending + text).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (line === 'event: request') counts.requests++;
    else if (line === 'event: dropped') droppedNext = true;
    else if (droppedNext && line.startsWith('data: ')) {
      counts.dropped += Number(JSON.parse(line.slice(6)).count) || 0;
      droppedNext = false;
    }
  }
}
process.stderr.write(`feed-subscriber: the stream ended after ${counts.requests} events\n`);
process.exit(1);
