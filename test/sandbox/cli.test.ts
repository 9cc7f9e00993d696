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

t.test(
  'without --dir: TRAILWARDEN_SANDBOX_DIR, else DATA_DIR/sandbox/state as the service writes it',
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tw-sandbox-data-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    const state = new SandboxState(join(dataDir, 'sandbox', 'state'));
    state.put({ type: TRAIL, id: ARN, accountId: ACCOUNT, region: 'eu-west-1', inputs: {}, outputs: {} });
    const lines: string[] = [];
    t.equal(
      runCli(['list'], { DATA_DIR: dataDir }, (s) => lines.push(s)),
      0,
    );
    t.match(lines.join('\n'), ARN, 'DATA_DIR/sandbox/state is read');
    const other: string[] = [];
    runCli(['list'], { DATA_DIR: dataDir, TRAILWARDEN_SANDBOX_DIR: join(dataDir, 'elsewhere') }, (s) =>
      other.push(s),
    );
    t.match(other.join('\n'), /no resources/, 'TRAILWARDEN_SANDBOX_DIR wins');
  },
);

t.test('--region tells apart same-named regional resources; organization records one', async (t) => {
  const { dir, state } = seeded();
  const LG = 'aws:cloudwatch/logGroup:LogGroup';
  for (const region of ['eu-west-1', 'us-east-1'])
    state.put({
      type: LG,
      id: '/tw',
      accountId: ACCOUNT,
      region,
      inputs: { name: '/tw' },
      outputs: { region },
    });
  t.match(
    run(['list', '--dir', dir, '--type', LG, '--region', 'us-east-1']).text,
    `${ACCOUNT}  us-east-1  ${LG}  /tw`,
  );
  t.throws(
    () => run(['show', '--dir', dir, '--account', ACCOUNT, '--type', LG, '--id', '/tw']),
    /several regions/,
  );
  const shown = run([
    'show',
    '--dir',
    dir,
    '--account',
    ACCOUNT,
    '--type',
    LG,
    '--id',
    '/tw',
    '--region',
    'us-east-1',
  ]);
  t.equal(JSON.parse(shown.text).region, 'us-east-1');
  run([
    'drift',
    '--dir',
    dir,
    '--account',
    ACCOUNT,
    '--type',
    LG,
    '--id',
    '/tw',
    '--region',
    'us-east-1',
    '--set',
    'retentionInDays=1',
  ]);
  t.equal(state.get(ACCOUNT, LG, '/tw', 'us-east-1')?.outputs.retentionInDays, 1);
  t.equal(
    state.get(ACCOUNT, LG, '/tw', 'eu-west-1')?.outputs.retentionInDays,
    undefined,
    'the other region untouched',
  );
  t.equal(
    run(['delete', '--dir', dir, '--account', ACCOUNT, '--type', LG, '--id', '/tw', '--region', 'eu-west-1'])
      .code,
    0,
  );
  t.ok(state.get(ACCOUNT, LG, '/tw', 'us-east-1'));

  const org = run([
    'organization',
    '--dir',
    dir,
    '--management-account',
    ACCOUNT,
    '--id',
    'o-abcdefghij',
    '--member',
    '444455556666',
  ]);
  t.equal(org.code, 0);
  t.match(state.list({ type: 'aws:organizations/organization:Organization' }), [
    {
      id: 'o-abcdefghij',
      accountId: ACCOUNT,
      outputs: { masterAccountId: ACCOUNT, accounts: [ACCOUNT, '444455556666'] },
    },
  ]);
  t.throws(() => run(['organization', '--dir', dir, '--management-account', '12']), /12-digit/);
});
