// 2,000 connections that drip their headers (slowloris) against the real listening app: a well-behaved
// client still gets /healthz, and the server itself closes every one of them and logs the count.
import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { listeningApp } from './helpers.ts';

const DRIPPERS = 2000;
const BATCH = 100;
const LIMITS = {
  headersTimeoutMs: 3000,
  requestTimeoutMs: 6000,
  keepAliveTimeoutMs: 1000,
  idleTimeoutMs: 20000,
  maxConnections: 500,
  maxRequestsPerSocket: 100,
};

interface Dripper {
  socket: Socket;
  /** What the server sent before closing. */
  received: string;
  closed: Promise<void>;
}

t.test('slow header drippers never lock out /healthz and are all closed by the server', async (t) => {
  // The client side holds DRIPPERS sockets, the server up to maxConnections more, in this one process.
  const fileLimit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  t.ok(
    Number.isNaN(fileLimit) || fileLimit >= DRIPPERS + LIMITS.maxConnections + 512,
    `the file limit (${fileLimit}) leaves room for ${DRIPPERS} client sockets and the server's`,
  );

  const { url, port, logs, app } = await listeningApp(t, { config: { http: LIMITS } });
  const drippers: Dripper[] = [];
  const open = new Set<Dripper>();

  const startDripper = async (): Promise<void> => {
    const socket = connect({ port, host: '127.0.0.1' });
    const d: Dripper = {
      socket,
      received: '',
      // Not events.once: it rejects on the ECONNRESET an evicted socket may see before 'close'.
      closed: new Promise<void>((resolve) =>
        socket.once('close', () => {
          open.delete(d);
          resolve();
        }),
      ),
    };
    socket.on('error', () => undefined); // an evicted socket may see ECONNRESET
    socket.on('data', (chunk) => {
      d.received += chunk.toString('latin1');
    });
    drippers.push(d);
    await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), d.closed]);
    if (socket.destroyed) return;
    // A request line and the first header; the rest comes one header at a time, never finished.
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    open.add(d);
  };

  // One timer drips a header into every open socket: each socket stays active, so only the headers
  // timeout (not the idle timeout) can end it.
  let drip = 0;
  const dripper = setInterval(() => {
    drip++;
    for (const d of open) if (!d.socket.destroyed) d.socket.write(`X-Drip-${drip}: 1\r\n`);
  }, 250);
  t.teardown(() => clearInterval(dripper));

  for (let i = 0; i < DRIPPERS; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, DRIPPERS - i) }, () => startDripper()));
  }
  t.equal(drippers.length, DRIPPERS, `${DRIPPERS} dripping connections opened`);

  // A well-behaved client: each attempt is a fresh connection with a complete request.
  let healthy: Response | undefined;
  let openDrippersWhenHealthy = 0;
  for (let attempt = 0; attempt < 20 && !healthy; attempt++) {
    try {
      const res = await fetch(`${url}/healthz`, { headers: { connection: 'close' } });
      if (res.status === 200) {
        openDrippersWhenHealthy = open.size;
        healthy = res;
      }
    } catch {
      // refused while every connection was busy: try again
    }
  }
  t.ok(healthy, '/healthz answers 200');
  t.same(await healthy?.json(), { status: 'ok' });
  t.ok(openDrippersWhenHealthy > 0, `…while ${openDrippersWhenHealthy} drippers were still connected`);

  // Every dripper ends because the server closed it: evicted for a newer connection, or answered 408
  // at the headers timeout. The client never closes one.
  await Promise.all(drippers.map((d) => d.closed));
  t.equal(open.size, 0, 'every dripping connection was closed by the server');
  t.notOk(
    drippers.some((d) => !d.socket.destroyed),
    'and none is left half-open',
  );
  const answered = drippers.filter((d) => d.received !== '');
  t.ok(answered.length > 0, `${answered.length} timed out with an answer, the others were evicted`);
  for (const d of answered) {
    if (!d.received.startsWith('HTTP/1.1 408 ')) {
      t.fail(`unexpected answer: ${d.received.slice(0, 200)}`);
      break;
    }
  }
  const sample = answered[0]!.received;
  t.match(sample, /content-type: application\/problem\+json/i, '408 is problem+json');
  t.match(JSON.parse(sample.slice(sample.indexOf('\r\n\r\n') + 4)), {
    status: 408,
    code: 'request_timeout',
  });

  // The closures are counted in the log.
  await app.close();
  const summaries = logs.filter((l) => l['msg'] === 'closed slow, idle or excess client connections');
  t.ok(summaries.length > 0, 'a summary is logged');
  const totals = summaries.at(-1)!['closedConnectionsTotal'] as Record<string, number>;
  t.ok(totals['timeout']! >= answered.length, `timeouts counted (${totals['timeout']})`);
  t.ok(
    totals['timeout']! + totals['evicted']! + totals['rejected']! >= DRIPPERS,
    `all ${DRIPPERS} closures counted: ${JSON.stringify(totals)}`,
  );
});
