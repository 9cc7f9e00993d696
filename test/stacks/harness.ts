// Pulumi mock runtime for the stacks tests: records every registered resource (resolved inputs
// and provider reference, from the mock monitor) and every resource's options (parent,
// dependsOn, from a transformation on a harness component that parents the whole program).
import * as pulumi from '@pulumi/pulumi';

/** Resource inputs as the mock monitor hands them over: untyped JSON. */
// biome-ignore lint/suspicious/noExplicitAny: inputs are arbitrary JSON read by assertions
export type Json = any;

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, Json>;
  provider?: string;
}

export interface Declared {
  type: string;
  name: string;
  resource: pulumi.Resource;
  parent?: pulumi.Resource;
  dependsOn: pulumi.Resource[];
  provider?: pulumi.ProviderResource;
}

export const ACCOUNT = '123456789012';
let registered: Registered[] = [];

function fakeState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const i = args.inputs as Record<string, Json>;
  // Providers are named aws-<region>; their reference is '<urn>::<id>'.
  const region = /aws-([a-z0-9-]+)::/.exec(args.provider ?? '')?.[1] ?? 'unknown-region';
  const id = `${args.name}-id`;
  switch (args.type) {
    case 'aws:kms/key:Key':
      return { ...i, arn: `arn:aws:kms:${region}:${ACCOUNT}:key/${id}`, keyId: id };
    case 'aws:s3/bucket:Bucket':
      return { ...i, arn: `arn:aws:s3:::${i.bucket}` };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { ...i, arn: `arn:aws:logs:${region}:${ACCOUNT}:log-group:${i.name}` };
    case 'aws:iam/role:Role':
      return { ...i, arn: `arn:aws:iam::${ACCOUNT}:role/${i.name}` };
    case 'aws:sns/topic:Topic':
      return { ...i, arn: `arn:aws:sns:${region}:${ACCOUNT}:${i.name}` };
    case 'aws:cloudtrail/trail:Trail':
      return { ...i, arn: `arn:aws:cloudtrail:${region}:${ACCOUNT}:trail/${i.name}` };
    default:
      return { ...i };
  }
}

await pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
      // Like AWS, a bucket's id is its name (other ids are opaque here).
      const id = args.type === 'aws:s3/bucket:Bucket' ? String(args.inputs.bucket) : `${args.name}-id`;
      return { id, state: fakeState(args) };
    },
    call(args) {
      throw new Error(`the program must not call invokes, called ${args.token}`);
    },
  },
  'trailwarden',
  'test',
  false,
);

class Harness extends pulumi.ComponentResource {
  constructor(name: string, record: pulumi.ResourceTransformation) {
    super('test:index:Harness', name, {}, { transformations: [record] });
  }
}

export function resolve<T>(value: pulumi.Input<T>): Promise<T> {
  return new Promise((done) => pulumi.output(value).apply((v) => done(v as T)));
}

export interface Run<T> {
  result: T;
  registered: Registered[];
  declared: Declared[];
  harness: pulumi.ComponentResource;
  /** Registered resources of one type token, e.g. 'aws:kms/key:Key'. */
  ofType(type: string): Registered[];
  one(type: string): Registered;
  /** The declared (options-side) record of a resource. */
  declaredOf(resource: pulumi.Resource): Declared;
}

let runs = 0;

/** Runs `declare` under the harness and waits until every resource is registered. */
export async function run<T>(declare: (parent: pulumi.ComponentResource) => T): Promise<Run<T>> {
  registered = [];
  const declared: Declared[] = [];
  const harness = new Harness(`harness-${++runs}`, (a) => {
    const deps = a.opts.dependsOn;
    declared.push({
      type: a.type,
      name: a.name,
      resource: a.resource,
      parent: a.opts.parent,
      dependsOn: deps === undefined ? [] : ((Array.isArray(deps) ? deps : [deps]) as pulumi.Resource[]),
      provider: a.opts.provider,
    });
    return undefined;
  });
  const result = declare(harness);
  // Every URN resolves once the mock monitor has registered the resource.
  await Promise.all(declared.map((d) => resolve(d.resource.urn)));
  const mine = registered.filter((r) => r.type !== 'test:index:Harness');
  const ofType = (type: string) => mine.filter((r) => r.type === type);
  return {
    result,
    registered: mine,
    declared,
    harness,
    ofType,
    one(type) {
      const all = ofType(type);
      if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
      return all[0]!;
    },
    declaredOf(resource) {
      const d = declared.find((x) => x.resource === resource);
      if (!d) throw new Error('resource was not declared under the harness');
      return d;
    },
  };
}
