import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import {
  backoffDelay,
  DELIVERY_HEADER,
  parseRetryAfter,
  SIGNATURE_HEADER,
  sendSignedWebhook,
  signPayload,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../src/notify/webhook.ts';

const SECRET = 'whsec_test_6d1f0c2a9b8e4d7f';
const NOW_MS = 1_790_000_000_123;
const now = () => NOW_MS;

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  verified: ReturnType<typeof verifyWebhookSignature>;
}

/** A receiver on 127.0.0.1:<ephemeral> that verifies each request, then answers from `statuses`. */
async function receiver(
  t: { teardown: (fn: () => void) => void },
  respond: (n: number, req: Received, res: ServerResponse) => void,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const verified = verifyWebhookSignature({
      secret: SECRET,
      timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
      signature: req.headers[SIGNATURE_HEADER] as string | undefined,
      body,
      toleranceSeconds: 300,
      now,
    });
    const r = { headers: req.headers, body, verified };
    received.push(r);
    if (!verified.valid) {
      res.writeHead(401).end();
      return;
    }
    respond(received.length, r, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/drift`, received };
}

const body = { kind: 'drift', accountId: '123456789012', severity: 'critical', note: 'ünïcode ✓' };

t.test('500, 500, then 200: three signed attempts, growing backoff', async (t) => {
  const { url, received } = await receiver(t, (n, _r, res) => {
    res
      .writeHead(n < 3 ? 500 : 200, { 'content-type': 'application/json' })
      .end(n < 3 ? '{"error":"x"}' : '{}');
  });
  const slept: number[] = [];
  const result = await sendSignedWebhook({
    url,
    secret: SECRET,
    body,
    now,
    retry: { attempts: 5, baseDelayMs: 100, sleep: async (ms) => void slept.push(ms), random: () => 0.5 },
  });

  t.equal(result.delivered, true);
  t.equal(result.attempts, 3);
  t.equal(result.status, 200);
  t.same(result.history, [{ status: 500 }, { status: 500 }, { status: 200 }]);
  t.same(slept, result.delaysMs, 'the injected sleep got exactly the reported delays');
  t.equal(slept.length, 2);
  t.ok(slept[1]! > slept[0]!, `delays grow: ${slept.join(', ')}`);
  t.same(slept, [75, 150], 'equal jitter: half the exponential step plus random half');

  t.equal(received.length, 3);
  for (const r of received) {
    t.equal(r.verified.valid, true, 'receiver verified the signature');
    t.equal(r.headers[TIMESTAMP_HEADER], String(Math.floor(NOW_MS / 1000)));
    t.match(r.headers[SIGNATURE_HEADER], /^sha256=[0-9a-f]{64}$/);
    t.equal(r.headers['content-type'], 'application/json');
    t.equal(r.headers[DELIVERY_HEADER], result.deliveryId, 'same delivery id on every attempt');
    t.same(JSON.parse(r.body), body);
  }
  t.notMatch(JSON.stringify(result), SECRET, 'the secret is not in the result');
});

t.test('400 is final: one attempt, no sleep', async (t) => {
  const { url, received } = await receiver(t, (_n, _r, res) => res.writeHead(400).end('bad'));
  let sleeps = 0;
  const result = await sendSignedWebhook({
    url,
    secret: SECRET,
    body,
    now,
    retry: { attempts: 5, baseDelayMs: 100, sleep: async () => void sleeps++ },
  });
  t.equal(result.delivered, false);
  t.equal(result.attempts, 1);
  t.equal(result.status, 400);
  t.equal(result.error, 'HTTP 400');
  t.equal(sleeps, 0);
  t.equal(received.length, 1);
});

t.test('429 is retried and Retry-After is honoured (capped)', async (t) => {
  const { url } = await receiver(t, (n, _r, res) => {
    if (n === 1) res.writeHead(429, { 'retry-after': '2' }).end();
    else if (n === 2) res.writeHead(503, { 'retry-after': '3600' }).end();
    else res.writeHead(204).end();
  });
  const slept: number[] = [];
  const result = await sendSignedWebhook({
    url,
    secret: SECRET,
    body,
    now,
    retry: {
      attempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 5_000,
      sleep: async (ms) => void slept.push(ms),
      random: () => 0,
    },
  });
  t.equal(result.delivered, true);
  t.equal(result.status, 204);
  t.same(slept, [2_000, 5_000]);
});

t.test('attempts exhausted on 5xx: not delivered, last status reported', async (t) => {
  const { url, received } = await receiver(t, (_n, _r, res) => res.writeHead(502).end());
  const slept: number[] = [];
  const result = await sendSignedWebhook({
    url,
    secret: SECRET,
    body,
    now,
    retry: { attempts: 4, baseDelayMs: 10, sleep: async (ms) => void slept.push(ms), random: () => 0.999 },
  });
  t.equal(result.delivered, false);
  t.equal(result.attempts, 4);
  t.equal(received.length, 4);
  t.equal(result.status, 502);
  t.equal(slept.length, 3);
  t.ok(slept[0]! < slept[1]! && slept[1]! < slept[2]!, `delays grow: ${slept.join(', ')}`);
});

t.test('network errors are retried; the error never carries the secret', async (t) => {
  // A port nobody listens on: take one from a server, then close it.
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  s.close();
  await once(s, 'close');

  const slept: number[] = [];
  const result = await sendSignedWebhook({
    url: `http://127.0.0.1:${port}/`,
    secret: SECRET,
    body,
    now,
    retry: { attempts: 3, baseDelayMs: 1, sleep: async (ms) => void slept.push(ms) },
  });
  t.equal(result.delivered, false);
  t.equal(result.attempts, 3);
  t.equal(result.status, null);
  t.equal(slept.length, 2);
  t.match(result.error, /ECONNREFUSED|fetch failed/);

  // A fetch that puts the secret in its error (it should not, but): redacted.
  const leaky: typeof fetch = async () => {
    throw new Error(`connect failed with key ${SECRET}`);
  };
  const r2 = await sendSignedWebhook({
    url: 'http://127.0.0.1:1/',
    secret: SECRET,
    body,
    now,
    fetch: leaky,
    retry: { attempts: 2, baseDelayMs: 1, sleep: async () => {} },
  });
  t.equal(r2.attempts, 2);
  t.notMatch(JSON.stringify(r2), SECRET);
  t.match(r2.error, /\[redacted\]/);
});

t.test('each attempt is signed with the clock at that attempt', async (t) => {
  let clock = NOW_MS;
  const seen: { ts: string; sig: string; body: string }[] = [];
  const fake: typeof fetch = async (_url, init) => {
    const h = init?.headers as Record<string, string>;
    seen.push({ ts: h[TIMESTAMP_HEADER]!, sig: h[SIGNATURE_HEADER]!, body: String(init?.body) });
    return new Response(null, { status: seen.length === 1 ? 500 : 200 });
  };
  const result = await sendSignedWebhook({
    url: 'http://example.invalid/',
    secret: SECRET,
    body,
    now: () => clock,
    fetch: fake,
    retry: {
      attempts: 2,
      baseDelayMs: 1000,
      sleep: async (ms) => {
        clock += ms;
      },
      random: () => 0,
    },
  });
  t.equal(result.delivered, true);
  t.same(
    seen.map((s) => s.ts),
    [String(Math.floor(NOW_MS / 1000)), String(Math.floor((NOW_MS + 500) / 1000))],
  );
  for (const s of seen) t.equal(s.sig, signPayload(SECRET, s.ts, s.body));
});

t.test('verifyWebhookSignature', async (t) => {
  const raw = JSON.stringify(body);
  const ts = Math.floor(NOW_MS / 1000);
  const signature = signPayload(SECRET, ts, raw);
  const base = { secret: SECRET, timestamp: String(ts), signature, body: raw, toleranceSeconds: 300, now };

  t.same(verifyWebhookSignature(base), { valid: true, timestamp: ts });
  t.same(
    verifyWebhookSignature({ ...base, body: Buffer.from(raw) }),
    { valid: true, timestamp: ts },
    'raw bytes',
  );

  t.same(
    verifyWebhookSignature({ ...base, body: raw.replace('critical', 'low') }),
    {
      valid: false,
      reason: 'mismatch',
    },
    'tampered body',
  );
  t.same(
    verifyWebhookSignature({ ...base, secret: 'other' }),
    { valid: false, reason: 'mismatch' },
    'wrong secret',
  );
  t.same(
    verifyWebhookSignature({ ...base, timestamp: String(ts + 1), signature }),
    { valid: false, reason: 'mismatch' },
    'timestamp is part of the signed content',
  );

  const staleTs = ts - 301;
  t.same(
    verifyWebhookSignature({
      ...base,
      timestamp: String(staleTs),
      signature: signPayload(SECRET, staleTs, raw),
    }),
    { valid: false, reason: 'stale' },
    'stale timestamp, correctly signed',
  );
  const futureTs = ts + 301;
  t.same(
    verifyWebhookSignature({ ...base, timestamp: futureTs, signature: signPayload(SECRET, futureTs, raw) }),
    { valid: false, reason: 'stale' },
    'too far in the future',
  );
  const edgeTs = ts - 300;
  t.equal(
    verifyWebhookSignature({
      ...base,
      timestamp: String(edgeTs),
      signature: signPayload(SECRET, edgeTs, raw),
    }).valid,
    true,
    'at the tolerance edge',
  );

  t.same(verifyWebhookSignature({ ...base, signature: undefined }), { valid: false, reason: 'missing' });
  t.same(verifyWebhookSignature({ ...base, timestamp: null }), { valid: false, reason: 'missing' });
  t.same(verifyWebhookSignature({ ...base, timestamp: '12a' }), { valid: false, reason: 'malformed' });
  t.same(verifyWebhookSignature({ ...base, signature: signature.slice(7) }), {
    valid: false,
    reason: 'malformed',
  });
  t.same(verifyWebhookSignature({ ...base, signature: `${signature}00` }), {
    valid: false,
    reason: 'malformed',
  });
  t.same(verifyWebhookSignature({ ...base, signature: 'sha256=zz' }), { valid: false, reason: 'malformed' });
});

t.test('tampered body on the wire fails verification at the receiver', async (t) => {
  const { url, received } = await receiver(t, (_n, _r, res) => res.writeHead(200).end());
  // A fetch that alters the body after signing (a proxy rewriting it).
  const tamper: typeof fetch = (input, init) =>
    fetch(input, { ...init, body: String(init?.body).replace('critical', 'low') });
  const result = await sendSignedWebhook({
    url,
    secret: SECRET,
    body,
    now,
    fetch: tamper,
    retry: { attempts: 1, baseDelayMs: 1, sleep: async () => {} },
  });
  t.equal(result.delivered, false);
  t.equal(result.status, 401);
  t.same(received[0]?.verified, { valid: false, reason: 'mismatch' });
});

t.test('a stale request (replay) fails verification at the receiver', async (t) => {
  const { url, received } = await receiver(t, (_n, _r, res) => res.writeHead(200).end());
  const result = await sendSignedWebhook({
    url,
    secret: SECRET,
    body,
    now: () => NOW_MS - 10 * 60 * 1000, // signed ten minutes before the receiver's clock
    retry: { attempts: 1, baseDelayMs: 1, sleep: async () => {} },
  });
  t.equal(result.status, 401);
  t.same(received[0]?.verified, { valid: false, reason: 'stale' });
});

t.test('argument checks', async (t) => {
  const ok = { url: 'http://127.0.0.1:1/', body, retry: { attempts: 1, baseDelayMs: 1 } };
  await t.rejects(sendSignedWebhook({ ...ok, secret: '' }), TypeError);
  await t.rejects(
    sendSignedWebhook({ ...ok, secret: SECRET, retry: { attempts: 0, baseDelayMs: 1 } }),
    RangeError,
  );
  await t.rejects(sendSignedWebhook({ ...ok, secret: SECRET, body: undefined }), TypeError);
});

t.test('backoffDelay and parseRetryAfter', async (t) => {
  t.same(
    [1, 2, 3, 4].map((n) => backoffDelay(n, 100, 10_000, () => 0)),
    [50, 100, 200, 400],
  );
  t.same(
    [1, 2, 3, 4].map((n) => backoffDelay(n, 100, 250, () => 0.999)),
    [100, 200, 250, 250],
    'capped',
  );
  t.equal(parseRetryAfter('7', NOW_MS), 7000);
  t.equal(parseRetryAfter(new Date(NOW_MS + 3000).toUTCString(), NOW_MS), 2877);
  t.equal(parseRetryAfter('soon', NOW_MS), undefined);
  t.equal(parseRetryAfter(null, NOW_MS), undefined);
});
