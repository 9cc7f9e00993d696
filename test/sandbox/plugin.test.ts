// The installed `pulumi-resource-aws` script, spoken to over gRPC the way the engine does: this
// covers main.ts's Configure/CheckConfig/DiffConfig/Diff/preview wiring without the Pulumi CLI.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { installSandboxPlugin } from '../../src/sandbox/plugin.ts';
import { SandboxState } from '../../src/sandbox/state.ts';

const sdkRequire = createRequire(createRequire(import.meta.url).resolve('@pulumi/pulumi/provider/server.js'));
const grpc = sdkRequire('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
const provproto = sdkRequire('../proto/provider_pb.js');
const provgrpc = sdkRequire('../proto/provider_grpc_pb.js');
const { Struct } = sdkRequire('google-protobuf/google/protobuf/struct_pb.js');
const { Empty } = sdkRequire('google-protobuf/google/protobuf/empty_pb.js');

const ACCOUNT = '111122223333';
const BUCKET_URN = 'urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs';
const PROVIDER_URN = 'urn:pulumi:dev::p::pulumi:providers:aws::sandbox';

// biome-ignore lint/suspicious/noExplicitAny: generated gRPC client and messages are untyped JS
type Any = any;

t.test('the installed plugin serves the provider protocol', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'tw-plugin-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const stateDir = join(tmp, 'state');
  const binDir = await installSandboxPlugin(join(tmp, 'bin'), { sandboxDir: stateDir });
  t.equal(binDir, join(tmp, 'bin'));
  const script = join(binDir, 'pulumi-resource-aws');
  t.ok(statSync(script).mode & 0o100, 'executable');

  const env = { ...process.env };
  delete env.TRAILWARDEN_SANDBOX_DIR;
  const started = performance.now();
  const child = spawn(script, ['127.0.0.1:1'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill();
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(String(chunk).trim());
  t.comment(`plugin listening after ${Math.round(performance.now() - started)} ms`);
  t.ok(port > 0, `printed its port (${String(chunk).trim()})`);

  const client: Any = new provgrpc.ResourceProviderClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  t.teardown(() => client.close());
  const rpc = (method: string, req: Any): Promise<Any> =>
    new Promise((resolve, reject) =>
      client[method](req, (err: Error | null, resp: Any) => (err ? reject(err) : resolve(resp))),
    );

  const info = await rpc('getPluginInfo', new Empty());
  t.equal(info.getVersion(), '7.48.0', 'reports the @pulumi/aws version');

  const checkConfig = (news: Record<string, unknown>) => {
    const req = new provproto.CheckRequest();
    req.setUrn(PROVIDER_URN);
    req.setOlds(Struct.fromJavaScript({}));
    req.setNews(Struct.fromJavaScript(news));
    return rpc('checkConfig', req);
  };
  const okConfig = await checkConfig({ region: 'eu-west-1', allowedAccountIds: `["${ACCOUNT}"]` });
  t.same(okConfig.getFailuresList(), []);
  t.same(okConfig.getInputs().toJavaScript(), { region: 'eu-west-1', allowedAccountIds: `["${ACCOUNT}"]` });
  const badConfig = await checkConfig({ region: 'eu-west-1', allowedAccountIds: '["12"]' });
  t.equal(badConfig.getFailuresList()[0]?.getProperty(), 'allowedAccountIds');

  const diffConfig = new provproto.DiffRequest();
  diffConfig.setUrn(PROVIDER_URN);
  diffConfig.setOlds(Struct.fromJavaScript({ allowedAccountIds: `["${ACCOUNT}"]` }));
  diffConfig.setOldInputs(Struct.fromJavaScript({ allowedAccountIds: `["${ACCOUNT}"]` }));
  diffConfig.setNews(Struct.fromJavaScript({ allowedAccountIds: '["222233334444"]' }));
  const dc = await rpc('diffConfig', diffConfig);
  t.same(dc.getReplacesList(), ['allowedAccountIds']);

  const configure = new provproto.ConfigureRequest();
  configure.setType('pulumi:providers:aws');
  configure.getVariablesMap().set('aws:config:region', 'eu-west-1');
  configure.getVariablesMap().set('aws:config:allowedAccountIds', `["${ACCOUNT}"]`);
  const conf = await rpc('configure', configure);
  t.same(
    [conf.getAcceptsecrets(), conf.getAcceptresources(), conf.getSupportspreview()],
    [false, false, true],
  );

  const check = new provproto.CheckRequest();
  check.setUrn(BUCKET_URN);
  check.setOlds(Struct.fromJavaScript({}));
  check.setNews(Struct.fromJavaScript({ bucket: 'Not_Valid' }));
  const bad = await rpc('check', check);
  t.match(bad.getFailuresList()[0]?.getReason(), /lowercase/);
  check.setNews(Struct.fromJavaScript({ tags: { a: 'b' } }));
  const checked = (await rpc('check', check)).getInputs().toJavaScript();
  t.match(checked.bucket, /^logs-[0-9a-f]{7}$/);
  t.equal(checked.region, 'eu-west-1');

  const create = new provproto.CreateRequest();
  create.setUrn(BUCKET_URN);
  create.setProperties(Struct.fromJavaScript(checked));
  create.setPreview(true);
  const planned = await rpc('create', create);
  t.equal(planned.getId(), '', 'preview create has no id');
  const state = new SandboxState(stateDir);
  t.same(state.list({}), [], 'preview wrote nothing');
  create.setPreview(false);
  const created = await rpc('create', create);
  t.equal(created.getId(), checked.bucket);
  t.equal(created.getProperties().toJavaScript().arn, `arn:aws:s3:::${checked.bucket}`);
  t.same(
    state.list({}).map((r) => [r.accountId, r.id]),
    [[ACCOUNT, checked.bucket]],
    'state lands in the install-time default dir under the configured account',
  );

  const diff = new provproto.DiffRequest();
  diff.setUrn(BUCKET_URN);
  diff.setId(checked.bucket);
  diff.setOlds(created.getProperties());
  diff.setOldInputs(Struct.fromJavaScript(checked));
  diff.setNews(Struct.fromJavaScript({ ...checked, bucket: 'renamed-bucket', tags: { a: 'c' } }));
  const d = await rpc('diff', diff);
  t.equal(d.getChanges(), provproto.DiffResponse.DiffChanges.DIFF_SOME);
  t.same(d.getReplacesList(), ['bucket']);
  t.same(d.getDiffsList(), ['bucket', 'tags']);
  t.equal(d.getDeletebeforereplace(), false, 'autonamed bucket can be replaced create-before-delete');
  const detailed = d.getDetaileddiffMap();
  const kinds = Object.fromEntries(['bucket', 'tags'].map((k) => [k, detailed.get(k)?.getKind()]));
  t.equal(detailed.getLength(), 2);
  t.same(kinds, {
    bucket: provproto.PropertyDiff.Kind.UPDATE_REPLACE,
    tags: provproto.PropertyDiff.Kind.UPDATE,
  });

  const read = new provproto.ReadRequest();
  read.setUrn(BUCKET_URN);
  read.setId(checked.bucket);
  read.setProperties(created.getProperties());
  state.remove(ACCOUNT, 'aws:s3/bucket:Bucket', checked.bucket);
  const gone = await rpc('read', read);
  t.equal(gone.getId(), '', 'read of a resource deleted out of band reports it gone');

  const invoke = new provproto.InvokeRequest();
  invoke.setTok('aws:index/getCallerIdentity:getCallerIdentity');
  invoke.setArgs(Struct.fromJavaScript({}));
  const who = await rpc('invoke', invoke);
  t.equal(who.getReturn().toJavaScript().accountId, ACCOUNT);

  child.kill();
  await once(child, 'exit');
});
