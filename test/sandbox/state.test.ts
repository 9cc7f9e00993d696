import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { SandboxState, typeSlug } from '../../src/sandbox/state.ts';

const TRAIL = 'aws:cloudtrail/trail:Trail';

t.test('type slugs and ids map to readable, reversible file names', async (t) => {
  t.equal(typeSlug('aws:s3/bucketPolicy:BucketPolicy'), 's3.bucketPolicy');
  const dir = mkdtempSync(join(tmpdir(), 'tw-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = new SandboxState(dir);
  const id = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/main';
  state.put({ type: TRAIL, id, accountId: '111122223333', region: 'eu-west-1', inputs: {}, outputs: {} });
  // Regional resources live under their region; global ones (IAM, S3) directly under the type.
  t.same(readdirSync(join(dir, '111122223333', 'cloudtrail.trail', 'eu-west-1')), [
    `${encodeURIComponent(id)}.json`,
  ]);
  t.equal(state.get('111122223333', TRAIL, id)?.id, id);
  t.equal(state.get('111122223333', TRAIL, 'nope'), undefined);
  t.throws(() => state.get('../etc', TRAIL, id), /invalid sandbox account id/);
  t.throws(() => state.drift('111122223333', TRAIL, 'nope', { a: 1 }), /no sandbox resource/);
  // An id made of dots cannot escape the type directory.
  state.put({
    type: TRAIL,
    id: '..',
    accountId: '111122223333',
    region: 'eu-west-1',
    inputs: {},
    outputs: {},
  });
  t.equal(state.get('111122223333', TRAIL, '..')?.id, '..');
  t.equal(state.list({ type: TRAIL }).length, 2);
});

t.test('several processes writing and listing at once never see torn files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const stateUrl = pathToFileURL(join(import.meta.dirname, '..', '..', 'src', 'sandbox', 'state.ts')).href;
  const script = `
    import { SandboxState } from ${JSON.stringify(stateUrl)};
    const s = new SandboxState(process.argv[1]);
    const w = Number(process.argv[2]);
    const big = 'x'.repeat(20000);
    for (let i = 0; i < 150; i++) {
      s.put({ type: 'aws:cloudtrail/trail:Trail', id: 'shared', accountId: '111122223333', region: 'eu-west-1',
              inputs: { w, i, big }, outputs: { w, i, big } });
      s.put({ type: 'aws:cloudtrail/trail:Trail', id: 'own-' + w, accountId: '11112222333' + w, region: 'eu-west-1',
              inputs: { i }, outputs: { i } });
      for (const r of s.list({})) if (r.outputs.big !== undefined && r.outputs.big.length !== 20000) throw new Error('torn');
    }`;
  const exec = promisify(execFile);
  await Promise.all(
    [1, 2, 3, 4].map((w) => exec(process.execPath, ['--input-type=module', '-e', script, dir, String(w)])),
  );
  const state = new SandboxState(dir);
  t.equal(state.list({}).length, 5, 'one shared record and one per writer account');
  t.match(state.get('111122223333', TRAIL, 'shared')?.outputs, { i: 149 });
  const leftovers = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
  t.same(leftovers, [], 'no temp files left behind');
});

t.test(
  'records of the region-blind layout are read, and move under their region on the next write',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-state-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const state = new SandboxState(dir);
    const LG = 'aws:cloudwatch/logGroup:LogGroup';
    const rec = {
      type: LG,
      id: '/tw',
      accountId: '111122223333',
      region: 'eu-west-1',
      inputs: {},
      outputs: { a: 1 },
    };
    mkdirSync(join(dir, '111122223333', 'cloudwatch.logGroup'), { recursive: true });
    writeFileSync(join(dir, '111122223333', 'cloudwatch.logGroup', '%2Ftw.json'), JSON.stringify(rec));
    t.equal(state.get('111122223333', LG, '/tw', 'eu-west-1')?.outputs.a, 1, 'read with its region');
    t.equal(state.get('111122223333', LG, '/tw', 'us-east-1'), undefined, 'not in another region');
    state.put({ ...rec, outputs: { a: 2 } });
    t.same(
      state.list({ accountId: '111122223333', type: LG }).map((r) => [r.region, r.outputs.a]),
      [['eu-west-1', 2]],
      'one record, moved',
    );
    t.ok(state.remove('111122223333', LG, '/tw', 'eu-west-1'));
    t.same(state.list({}), []);
  },
);
