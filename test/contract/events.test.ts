// The operation event stream over HTTP, as a portal reads it: a queued operation's stream starts with its
// state at once (no 15 s of keep-alives), and every message is one the document describes.
import t from 'tap';
import { Value } from 'typebox/value';
import { operationEventStreamSchema } from '../../src/openapi/events.ts';
import { OperationSchema } from '../../src/operations/schemas.ts';
import { SHARED_SCHEMAS } from '../../src/shared-schemas.ts';
import { makeApp, putTrail } from '../api/helpers.ts';

/** The first SSE message of a stream (the response is left open: the operation has not ended). */
async function firstMessage(res: Response): Promise<Record<string, string>> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  while (!buffer.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  const message: Record<string, string> = {};
  for (const line of buffer.split('\n\n')[0]!.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) message[line.slice(0, i)] = line.slice(i + 1).trimStart();
  }
  return message;
}

t.test("a queued operation's stream starts with its state", async (t) => {
  const { app, engine, adminToken } = await makeApp();
  t.teardown(() => app.close());
  await putTrail(app);
  const first = (
    await app.inject({ method: 'POST', url: '/v1/accounts/111122223333/trail/previews' })
  ).json();
  const running = await engine.nextCall();
  const queued = (
    await app.inject({ method: 'POST', url: '/v1/accounts/111122223333/trail/applies' })
  ).json();
  t.equal(queued.state, 'queued', 'behind the running preview');

  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${base}/v1/operations/${queued.id}/events`, {
    headers: { authorization: `Bearer ${adminToken}`, accept: 'text/event-stream' },
  });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  const message = await firstMessage(res);
  t.equal(message['event'], 'state', 'the first message is the state');
  const data = JSON.parse(message['data']!);
  t.equal(data.id, queued.id);
  t.equal(data.state, 'queued');
  // With the shared schemas as context: an Operation refers to OperationError by $ref.
  t.ok(Value.Check(SHARED_SCHEMAS, OperationSchema, data), 'its data is an Operation');
  t.ok(
    Value.Check(operationEventStreamSchema(OperationSchema), message),
    'the message is one the document describes',
  );
  running.succeed();
  await app.operationQueue.settled(first.id);
});
