// `npm run demo`: the service's main job on a fresh clone, with nothing set. Starts the service in
// sandbox mode (nothing in AWS is changed), requests a trail for the example account 123456789012
// (CIS alarm set), applies it, prints the result, the page URL and the command that prints the
// sign-in token, and keeps serving until Ctrl-C. Uses only the public HTTP API, as a user would.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const ACCOUNT = '123456789012';
const REQUEST = { homeRegion: 'eu-west-1', alarms: { set: 'cis' } };
const root = path.join(import.meta.dirname, '..');

if (process.env.TRAILWARDEN_MODE && process.env.TRAILWARDEN_MODE !== 'sandbox') {
  process.stderr.write(
    `demo: runs the sandbox only; unset TRAILWARDEN_MODE (it is ${process.env.TRAILWARDEN_MODE})\n`,
  );
  process.exit(2);
}
const env: NodeJS.ProcessEnv = { ...process.env, TRAILWARDEN_MODE: 'sandbox' };
delete env.TRAILWARDEN_SANDBOX;
const dataDir = path.resolve(env.DATA_DIR || './data');
const port = Number(env.PORT || 8080);
const base = `http://127.0.0.1:${port}`;
const say = (line: string) => process.stderr.write(`demo: ${line}\n`);

// The service's own log goes to stdout as it would with `npm start`.
const service = spawn(process.execPath, [path.join(root, 'src', 'main.ts')], {
  cwd: root,
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
let exited = false;
service.on('exit', (code, signal) => {
  exited = true;
  if (!stopping) {
    say(`the service stopped (${signal ?? `exit ${code}`})`);
    process.exit(code ?? 1);
  }
});
let stopping = false;
// Never leave the service behind this script.
process.on('exit', () => {
  if (!exited) service.kill('SIGTERM');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    stopping = true;
    service.kill(sig);
    service.once('exit', (code) => process.exit(code ?? 0));
  });
}

async function api(method: string, url: string, token: string, body?: unknown, headers = {}) {
  const res = await fetch(base + url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${json?.detail ?? text}`);
  return { json, headers: res.headers };
}

async function waitReady(): Promise<void> {
  // Polling a process we just started: there is no event to await from outside it.
  for (let i = 0; i < 240 && !exited; i++) {
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return;
      if (i % 20 === 19) say(`waiting for readiness: ${((await res.json()) as { detail?: string }).detail}`);
    } catch {
      // not listening yet
    }
    await delay(500);
  }
  throw new Error('the service did not become ready in 2 minutes (see its log above)');
}

async function main(): Promise<void> {
  await waitReady();
  const tokenFile = env.TRAILWARDEN_BOOTSTRAP_TOKEN_FILE || path.join(dataDir, 'secrets', 'bootstrap-token');
  const token = readFileSync(tokenFile, 'utf8').trim();

  say(`requesting a trail for account ${ACCOUNT}: ${JSON.stringify(REQUEST)}`);
  const put = await api('PUT', `/v1/accounts/${ACCOUNT}/trail`, token, REQUEST);
  const etag = put.headers.get('etag') ?? put.json.etag;
  const apply = await api('POST', `/v1/accounts/${ACCOUNT}/trail/applies`, token, undefined, {
    'if-match': etag,
  });
  let op = apply.json;
  say(`applying (operation ${op.id}); follow it at ${base}/operations/${op.id}`);
  let last = '';
  while (!['succeeded', 'failed', 'cancelled', 'interrupted'].includes(op.state)) {
    await delay(1000);
    op = (await api('GET', `/v1/operations/${op.id}`, token)).json;
    if (op.state !== last) say(`operation ${op.state}`);
    last = op.state;
  }
  if (op.state === 'succeeded') {
    const plan = (await api('GET', `/v1/operations/${op.id}/plan`, token)).json;
    const changes = Object.entries(plan.counts as Record<string, number>)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k === 'same' ? 'unchanged' : `${k}d`}`)
      .join(', ');
    say(`converged: account ${ACCOUNT} matches its request (AWS resources: ${changes})`);
    say(`trails: ${JSON.stringify(op.outputs?.trailArns ?? {})}`);
  } else {
    say(`the apply ${op.state}: ${op.error?.message ?? ''}`);
    if (op.error?.engineMessage) say(op.error.engineMessage);
  }
  const tokenCommand =
    env.DATA_DIR || env.TRAILWARDEN_BOOTSTRAP_TOKEN_FILE ? `cat ${tokenFile}` : 'npm run -s token';
  say('');
  say(`pages:      ${base}/accounts/${ACCOUNT}`);
  say(`sign in:    paste the token printed by \`${tokenCommand}\` into "Sign in"`);
  say('drift:      npm run sandbox -- list --account ' + ACCOUNT);
  say('still serving; Ctrl-C stops the service');
}

main().catch((err) => {
  say(`failed: ${(err as Error).message}`);
  stopping = true;
  service.kill('SIGTERM');
  process.exitCode = 1;
});
