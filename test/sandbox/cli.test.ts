import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parseAssignment, runCli } from '../../src/sandbox/cli.ts';
import { SandboxState } from '../../src/sandbox/state.ts';

const ACCOUNT = '111122223333';
const TRAIL = 'aws:cloudtrail/trail:Trail';
const ARN = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/main`;

function seeded() {
  const dir = mkdtempSync(join(tmpdir(), 'tw-sandbox-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = new SandboxState(dir);
  const inputs = { name: 'main', s3BucketName: 'b', enableLogFileValidation: true, tags: { a: '1' } };
  state.put({
    type: TRAIL,
    id: ARN,
    accountId: ACCOUNT,
    region: 'eu-west-1',
    inputs,
    outputs: { ...inputs, arn: ARN, tagsAll: { owner: 'x', a: '1' } },
  });
  return { dir, state };
}

function run(args: string[]) {
  const lines: string[] = [];
  const code = runCli(args, {}, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

t.test('parseAssignment takes JSON values, else strings', async (t) => {
  t.same(parseAssignment('enableLogging=false'), ['enableLogging', false]);
  t.same(parseAssignment('tags={"a":"b"}'), ['tags', { a: 'b' }]);
  t.same(parseAssignment('name=plain-word'), ['name', 'plain-word']);
  t.throws(() => parseAssignment('novalue'), /prop=jsonValue/);
});

t.test('list, drift, show and delete', async (t) => {
  const { dir, state } = seeded();
  const list = run(['list', '--dir', dir]);
  t.equal(list.code, 0);
  t.match(list.text, `${ACCOUNT}  eu-west-1  ${TRAIL}  ${ARN}`);
  t.match(run(['list', '--dir', dir, '--type', 'aws:s3/bucket:Bucket']).text, /no resources/);
  const drift = run([
    'drift',
    '--dir',
    dir,
    '--account',
    ACCOUNT,
    '--type',
    TRAIL,
    '--id',
    ARN,
    '--set',
    'enableLogFileValidation=false',
    '--set',
    'tags={"a":"2"}',
    '--unset',
    's3KeyPrefix',
  ]);
  t.equal(drift.code, 0);
  const rec = state.get(ACCOUNT, TRAIL, ARN);
  t.equal(rec?.inputs.enableLogFileValidation, false);
  t.equal(rec?.outputs.enableLogFileValidation, false);
  t.same(rec?.inputs.tags, { a: '2' });
  t.same(rec?.outputs.tagsAll, { owner: 'x', a: '2' });
  t.match(JSON.parse(run(['show', '--dir', dir, '--account', ACCOUNT, '--type', TRAIL, '--id', ARN]).text), {
    inputs: { enableLogFileValidation: false },
  });
  t.throws(
    () => run(['drift', '--dir', dir, '--account', ACCOUNT, '--type', TRAIL, '--id', ARN]),
    /at least one --set/,
  );
  t.throws(() => run(['delete', '--dir', dir, '--account', ACCOUNT, '--type', TRAIL]), /needs --id/);
  t.equal(run(['delete', '--dir', dir, '--account', ACCOUNT, '--type', TRAIL, '--id', ARN]).code, 0);
  t.equal(state.get(ACCOUNT, TRAIL, ARN), undefined);
  t.throws(
    () => run(['delete', '--dir', dir, '--account', ACCOUNT, '--type', TRAIL, '--id', ARN]),
    /no aws:cloudtrail/,
  );
});

t.test('as a command: TRAILWARDEN_SANDBOX_DIR and exit codes', async (t) => {
  const { dir } = seeded();
  const cli = join(import.meta.dirname, '..', '..', 'src', 'sandbox', 'cli.ts');
  const exec = promisify(execFile);
  const env = { ...process.env, TRAILWARDEN_SANDBOX_DIR: dir };
  const { stdout } = await exec(process.execPath, [cli, 'list', '--json'], { env });
  t.match(JSON.parse(stdout), [{ id: ARN, type: TRAIL }]);
  const bad = await exec(process.execPath, [cli, 'frobnicate'], { env }).catch(
    (e: { code: number; stderr: string }) => e,
  );
  t.match(bad, { code: 2, stderr: /unknown command frobnicate/ });
});
