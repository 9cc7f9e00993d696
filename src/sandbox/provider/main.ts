// Entry point of the sandbox `pulumi-resource-aws` plugin (see ../plugin.ts and ../README.md).
//
// The Node provider SDK's gRPC server answers Configure itself (ignoring the configuration),
// returns UNIMPLEMENTED for CheckConfig/DiffConfig, and passes Diff only the old outputs. The
// sandbox needs the provider configuration (account id, region, default tags), so before
// provider.main() registers its service we wrap grpc.Server#addService and give the SDK's service
// object our own configure/checkConfig/diffConfig/diff handlers; every other RPC stays the SDK's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connection, SandboxAwsProvider } from './provider.ts';

const require = createRequire(import.meta.url);
const sdkRequire = createRequire(require.resolve('@pulumi/pulumi/provider/server.js'));
const grpc = sdkRequire('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
const provproto = sdkRequire('../proto/provider_pb.js');
const structproto = sdkRequire('google-protobuf/google/protobuf/struct_pb.js');
const { main } =
  require('@pulumi/pulumi/provider/server.js') as typeof import('@pulumi/pulumi/provider/server.js');

type Callback = (err: unknown, resp?: unknown) => void;
type Struct = { toJavaScript(): Record<string, unknown> } | undefined;
interface Call {
  getPeer(): string;
  request: {
    getUrn(): string;
    getId(): string;
    getOlds(): Struct;
    getNews(): Struct;
    getOldInputs(): Struct;
    getVariablesMap(): Map<string, string>;
    getPreview(): boolean;
    getProperties(): Struct;
  };
}

const awsVersion = (
  JSON.parse(readFileSync(require.resolve('@pulumi/aws/package.json'), 'utf8')) as { version: string }
).version;

const sandbox = new SandboxAwsProvider({ version: awsVersion });

const KIND: Record<string, number> = provproto.PropertyDiff.Kind;

function diffResponse(result: Awaited<ReturnType<SandboxAwsProvider['diff']>>) {
  const resp = new provproto.DiffResponse();
  resp.setChanges(
    result.changes
      ? provproto.DiffResponse.DiffChanges.DIFF_SOME
      : provproto.DiffResponse.DiffChanges.DIFF_NONE,
  );
  resp.setReplacesList(result.replaces ?? []);
  resp.setDiffsList(result.diffs);
  resp.setDeletebeforereplace(!!result.deleteBeforeReplace);
  resp.setHasdetaileddiff(true);
  const detailed = resp.getDetaileddiffMap();
  for (const [key, entry] of Object.entries(result.detailedDiff)) {
    const pd = new provproto.PropertyDiff();
    pd.setKind(KIND[entry.kind]);
    pd.setInputdiff(true);
    detailed.set(key, pd);
  }
  return resp;
}

const fail = (cb: Callback, err: unknown) =>
  cb({ code: grpc.status.UNKNOWN, details: (err as Error).message ?? String(err) });

type Impl = Record<string, (call: Call, cb: Callback) => void>;

const makeHandlers = (sdk: Impl) => ({
  create(this: Impl, call: Call, cb: Callback) {
    const req = call.request;
    if (!req.getPreview()) return sdk.create!.call(this, call, cb);
    sandbox.previewCreate(req.getUrn(), req.getProperties()?.toJavaScript() ?? {}).then(
      (outs) => {
        const resp = new provproto.CreateResponse();
        resp.setId('');
        resp.setProperties(structproto.Struct.fromJavaScript(outs));
        cb(undefined, resp);
      },
      (err) => fail(cb, err),
    );
  },
  update(this: Impl, call: Call, cb: Callback) {
    const req = call.request;
    if (!req.getPreview()) return sdk.update!.call(this, call, cb);
    sandbox
      .previewUpdate(
        req.getId(),
        req.getUrn(),
        req.getOlds()?.toJavaScript() ?? {},
        req.getNews()?.toJavaScript() ?? {},
      )
      .then(
        (outs) => {
          const resp = new provproto.UpdateResponse();
          resp.setProperties(structproto.Struct.fromJavaScript(outs));
          cb(undefined, resp);
        },
        (err) => fail(cb, err),
      );
  },
  // An import (`import` resource option) reads a resource the engine has no properties for yet;
  // the SDK's read would fail on the missing properties, the real aws provider does not.
  read(this: Impl, call: Call, cb: Callback) {
    const req = call.request;
    if (req.getProperties()) return sdk.read!.call(this, call, cb);
    sandbox.read(req.getId(), req.getUrn(), {}).then(
      (r) => {
        const resp = new provproto.ReadResponse();
        resp.setId(r.id);
        resp.setProperties(structproto.Struct.fromJavaScript(r.props ?? {}));
        if (r.inputs) resp.setInputs(structproto.Struct.fromJavaScript(r.inputs));
        cb(undefined, resp);
      },
      (err) => fail(cb, err),
    );
  },
  configure(call: Call, cb: Callback) {
    try {
      const vars: Record<string, string> = {};
      for (const [k, v] of call.request.getVariablesMap().entries()) vars[k] = v;
      sandbox.configure(vars, call.request.getUrn() || undefined);
      const resp = new provproto.ConfigureResponse();
      // Plain values only: the engine strips secrets and resource references before calling us and
      // re-marks outputs as secret by property name. Preview support: the engine sends creates and
      // updates with preview=true, which we answer with planned outputs (see create/update below) so
      // that computed outputs such as ARNs stay known in previews, as with the real provider.
      resp.setAcceptsecrets(false);
      resp.setAcceptresources(false);
      resp.setAcceptoutputs(false);
      resp.setSupportspreview(true);
      cb(undefined, resp);
    } catch (err) {
      fail(cb, err);
    }
  },
  checkConfig(call: Call, cb: Callback) {
    const req = call.request;
    sandbox
      .checkConfig(req.getUrn(), req.getOlds()?.toJavaScript() ?? {}, req.getNews()?.toJavaScript() ?? {})
      .then(
        (result) => {
          const resp = new provproto.CheckResponse();
          resp.setInputs(structproto.Struct.fromJavaScript(result.inputs));
          resp.setFailuresList(
            (result.failures ?? []).map((f) => {
              const cf = new provproto.CheckFailure();
              cf.setProperty(f.property);
              cf.setReason(f.reason);
              return cf;
            }),
          );
          cb(undefined, resp);
        },
        (err) => fail(cb, err),
      );
  },
  diffConfig(call: Call, cb: Callback) {
    const req = call.request;
    sandbox
      .diffConfig(
        req.getUrn(),
        req.getOldInputs()?.toJavaScript() ?? req.getOlds()?.toJavaScript() ?? {},
        req.getNews()?.toJavaScript() ?? {},
      )
      .then(
        (r) => cb(undefined, diffResponse(r)),
        (err) => fail(cb, err),
      );
  },
  diff(call: Call, cb: Callback) {
    const req = call.request;
    sandbox
      .diff(
        req.getId(),
        req.getUrn(),
        req.getOlds()?.toJavaScript() ?? {},
        req.getNews()?.toJavaScript() ?? {},
        req.getOldInputs()?.toJavaScript() ?? {},
      )
      .then(
        (r) => cb(undefined, diffResponse(r)),
        (err) => fail(cb, err),
      );
  },
});

const addService = grpc.Server.prototype.addService;
grpc.Server.prototype.addService = function (
  this: InstanceType<typeof grpc.Server>,
  service,
  implementation,
) {
  const patched = Object.assign(
    Object.create(implementation as object),
    makeHandlers(implementation as Impl),
  ) as Impl;
  // Every RPC runs in the context of its engine connection (provider.ts `connection`): an attached
  // provider serves several engines and engine provider instances at once, each configured apart.
  const inContext: Impl = Object.create(patched);
  for (const [name, attrs] of Object.entries(service)) {
    const key = (attrs as { originalName?: string }).originalName ?? name;
    const handler = patched[key] ?? patched[name];
    if (typeof handler !== 'function') continue;
    inContext[key] = function (this: Impl, call: Call, cb: Callback) {
      return connection.run(call.getPeer(), () => handler.call(this, call, cb));
    };
  }
  return addService.call(this, service, inContext as unknown as typeof implementation);
};

// The engine starts us in a process group of our own, so a kill of its group does not reach us:
// exit once our parent (the engine, or the service that started us as its attached provider) is
// gone, instead of serving nobody for ever.
const engineParent = process.ppid;
setInterval(() => {
  if (process.ppid !== engineParent) process.exit(0);
}, 500).unref();

main(sandbox, process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
