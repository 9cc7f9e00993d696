// aws mode checks what an operation needs before the first one fails: /readyz answers 503 naming the
// missing piece and the command that provides it, an operation is refused with the same words (no
// engine run), and a PUT of the desired spec still works. Sandbox mode says it is one.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

type Tap = { teardown(fn: () => unknown): void };

import { Prerequisites } from '../../src/health/prerequisites.ts';
import { ACCOUNT, ControllableEngine, makeApp, putTrail } from '../api/helpers.ts';

const AWS_VERSION = '7.48.0';
const KEYS = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example-secret' };

function tempHome(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tw-pulumi-home-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function installFakePlugin(home: string): void {
  const dir = join(home, 'plugins', `resource-aws-v${AWS_VERSION}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pulumi-resource-aws'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(dir, 'pulumi-resource-aws'), 0o755);
}

async function awsApp(t: Tap, env: NodeJS.ProcessEnv) {
  const pulumiHome = tempHome(t);
  const engine = new ControllableEngine();
  const prerequisites = new Prerequisites({
    mode: 'aws',
    engine,
    pulumiHome,
    env,
    probeInstanceMetadata: async () => false,
  });
  const made = await makeApp({ config: { mode: 'aws' }, engine, prerequisites });
  t.teardown(() => made.app.close());
  return { ...made, pulumiHome };
}

t.test('aws mode without the aws plugin: not ready, operations refused, PUT works', async (t) => {
  const { app, engine, pulumiHome } = await awsApp(t, KEYS);

  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.match(ready.headers['content-type'], /application\/problem\+json/);
  const detail = ready.json().detail as string;
  t.match(detail, /^aws mode: /, 'names the mode');
  t.match(detail, /aws-plugin: pulumi-resource-aws 7\.48\.0 is not installed/, 'names the missing plugin');
  t.ok(
    detail.includes(`PULUMI_HOME=${pulumiHome} pulumi plugin install resource aws 7.48.0`),
    'and the command that installs it',
  );
  t.notMatch(detail, /aws-credentials|pulumi-cli/, 'nothing else is missing');

  const put = await putTrail(app);
  t.ok(put.statusCode === 200 || put.statusCode === 201, `PUT still works (${put.statusCode})`);
  const etag = put.headers.etag as string;

  for (const path of ['trail/previews', 'trail/applies', 'drift-checks']) {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/accounts/${ACCOUNT}/${path}`,
      headers: { 'if-match': etag },
    });
    t.equal(res.statusCode, 503, `${path} refused`);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.equal(res.json().code, 'engine_not_ready');
    t.ok(
      (res.json().detail as string).includes('pulumi plugin install resource aws 7.48.0'),
      'with the same words as /readyz',
    );
  }
  t.equal(engine.calls.length, 0, 'no engine run');
  const state = await app.inject({ method: 'GET', url: `/v1/accounts/${ACCOUNT}/trail` });
  t.equal(state.json().lastOperation, null, 'no operation was queued');

  // Once the plugin is there, the same service is ready and takes the apply.
  installFakePlugin(pulumiHome);
  const after = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(after.statusCode, 200);
  t.equal(after.json().mode, 'aws');
  t.notOk(after.json().notice, 'no sandbox notice in aws mode');
  t.equal(
    (await app.inject({ method: 'GET', url: '/assets/settings.json' })).json().notice,
    null,
    'no banner',
  );
  t.notMatch((await app.inject({ method: 'GET', url: '/docs/' })).body, /sandbox\.css/, 'nor in Swagger UI');
  t.same(
    after.json().checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]),
    [
      ['database', true],
      ['pulumi-cli', true],
      ['aws-plugin', true],
      ['aws-credentials', true],
    ],
  );
  const apply = await app.inject({
    method: 'POST',
    url: `/v1/accounts/${ACCOUNT}/trail/applies`,
    headers: { 'if-match': etag },
  });
  t.equal(apply.statusCode, 202);
});

t.test('aws mode: a half-finished plugin install is not a plugin', async (t) => {
  const { app, pulumiHome } = await awsApp(t, KEYS);
  installFakePlugin(pulumiHome);
  writeFileSync(join(pulumiHome, 'plugins', `resource-aws-v${AWS_VERSION}.partial`), '');
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.match(res.json().detail, /aws-plugin: the install in .* did not finish/);
});

t.test('aws mode without credentials: named, with where they come from', async (t) => {
  const home = tempHome(t);
  const { app, pulumiHome } = await awsApp(t, { HOME: home });
  installFakePlugin(pulumiHome);
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 503);
  t.match(res.json().detail, /aws-credentials: no AWS credentials found/);
  t.match(res.json().detail, /AWS_ACCESS_KEY_ID/);

  // A profile in the shared credentials file is a source (no network call needed to know it).
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'credentials'), '[ops]\naws_access_key_id = AKIA\n');
  const { app: app2, pulumiHome: home2 } = await awsApp(t, { HOME: home, AWS_PROFILE: 'ops' });
  installFakePlugin(home2);
  const ok = await app2.inject({ method: 'GET', url: '/readyz' });
  t.equal(ok.statusCode, 200);
  t.match(ok.json().checks.at(-1).detail, /profile ops in /);
});

t.test('sandbox mode says so and needs no plugin or credentials', async (t) => {
  const { app } = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(res.statusCode, 200);
  t.equal(res.json().mode, 'sandbox');
  t.equal(res.json().notice, 'Sandbox: nothing in AWS is changed');
  t.same(
    res.json().checks.map((c: { name: string }) => c.name),
    ['database', 'pulumi-cli'],
  );
  const settings = await app.inject({ method: 'GET', url: '/assets/settings.json' });
  t.equal(settings.json().notice, 'Sandbox: nothing in AWS is changed', 'the pages show the banner');
  const docs = await app.inject({ method: 'GET', url: '/docs/' });
  t.match(docs.body, /href="\.\/static\/theme\/sandbox\.css"/, 'Swagger UI links the banner stylesheet');
  const css = await app.inject({ method: 'GET', url: '/docs/static/theme/sandbox.css' });
  t.equal(css.statusCode, 200, 'Swagger UI carries the banner stylesheet');
  t.match(css.body, /Sandbox: nothing in AWS is changed/);
});
