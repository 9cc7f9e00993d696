// The Kubernetes manifests (deploy/kubernetes/) are valid objects of the Kubernetes API, checked offline
// against its JSON schemas (kubernetes-models, pinned), and hold together as a deployment of several
// replicas: probes on /readyz and /healthz, a disruption budget and a Service that select the pods, every
// ConfigMap key a setting the service knows, a grace period that covers the graceful shutdown.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { AuthEnv } from '../../src/auth/config.ts';
import { ConfigEnv, parseConfigEnv } from '../../src/config.ts';

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes');

// biome-ignore lint/suspicious/noExplicitAny: the models take the parsed YAML as it is
type Model = new (data: any) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: checked by the schema first
  [k: string]: any;
}

const docs: { file: string; doc: Doc }[] = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  for (const d of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    docs.push({ file, doc: d.toJS() as Doc });
  }
}
const one = (kind: string) => docs.find((d) => d.doc.kind === kind)!.doc;

t.test('every manifest validates against the Kubernetes schema', async (t) => {
  t.ok(docs.length >= 6, `${docs.length} objects`);
  for (const { file, doc } of docs) {
    const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    t.ok(model, `${file}: ${doc.apiVersion} ${doc.kind} is a kind we check`);
    if (!model) continue;
    t.doesNotThrow(() => new model(doc).validate(), `${file}: ${doc.kind} ${doc.metadata.name} is valid`);
  }
});

/**
 * The fields a model's type declares (kubernetes-models/<group>/<Kind>.d.ts): the schemas let unknown
 * fields through, and a misspelt `readinesProbe` would silently drop the probe.
 */
function fieldsOf(model: string): Set<string> {
  const dts = readFileSync(
    join(import.meta.dirname, '..', '..', 'node_modules', 'kubernetes-models', `${model}.d.ts`),
    'utf8',
  );
  return new Set([...dts.matchAll(/^\s*"([A-Za-z0-9]+)"\??:/gm)].map((m) => m[1]!));
}

function unknownFields(value: Record<string, unknown>, model: string): string[] {
  const known = fieldsOf(model);
  return Object.keys(value).filter((k) => !known.has(k));
}

t.test('the schema check catches a mistake', async (t) => {
  const broken = structuredClone(one('Deployment'));
  broken.spec.replicas = 'three';
  t.throws(() => new Deployment(broken).validate(), 'a string where an integer belongs');
  t.same(
    unknownFields({ readinesProbe: {}, image: 'x' }, 'v1/Container'),
    ['readinesProbe'],
    'a misspelt field',
  );
});

t.test('no field the API does not know (a typo is dropped silently by the API server)', async (t) => {
  const deployment = one('Deployment');
  const pod = deployment.spec.template.spec;
  t.same(unknownFields(deployment.spec, 'apps/v1/DeploymentSpec'), [], 'DeploymentSpec');
  t.same(unknownFields(pod, 'v1/PodSpec'), [], 'PodSpec');
  for (const c of pod.containers) {
    t.same(unknownFields(c, 'v1/Container'), [], `container ${c.name}`);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'])
      if (c[probe]) t.same(unknownFields(c[probe], 'v1/Probe'), [], probe);
  }
  t.same(unknownFields(one('PodDisruptionBudget').spec, 'policy/v1/PodDisruptionBudgetSpec'), [], 'PDB');
  t.same(unknownFields(one('Service').spec, 'v1/ServiceSpec'), [], 'ServiceSpec');
});

t.test('several replicas, probes, disruption budget, Service, graceful shutdown', async (t) => {
  const deployment = one('Deployment');
  const pod = deployment.spec.template;
  const labels = pod.metadata.labels as Record<string, string>;
  const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
  t.ok(deployment.spec.replicas >= 2, 'several replicas');
  t.ok(selects(deployment.spec.selector.matchLabels), 'the Deployment selects its pods');
  t.ok(selects(one('PodDisruptionBudget').spec.selector.matchLabels), 'the budget selects them');
  t.ok(selects(one('Service').spec.selector), 'the Service selects them');
  const container = pod.spec.containers[0];
  t.equal(container.readinessProbe.httpGet.path, '/readyz', 'ready when an operation can run');
  t.equal(container.livenessProbe.httpGet.path, '/healthz', 'alive without the database');

  // The settings parse as the service parses them (the Secret's keys added from the example).
  const configMap = one('ConfigMap').data as Record<string, string>;
  const known = new Set([...Object.keys(ConfigEnv.properties), ...Object.keys(AuthEnv.properties)]);
  for (const key of Object.keys(configMap)) t.ok(known.has(key), `ConfigMap ${key} is a setting`);
  const secret = one('Secret').stringData as Record<string, string>;
  const env = parseConfigEnv({ ...configMap, ...secret });
  t.match(env.DATABASE_URL, /^postgres/, 'the database is PostgreSQL (several replicas)');
  t.match(env.PULUMI_BACKEND_URL, /^s3:\/\//, 'the state is in S3');
  t.match(env.PULUMI_SECRETS_PROVIDER, /^awskms:\/\//, 'secrets under a KMS key');
  for (const ref of container.env.filter(
    (e: { valueFrom?: { secretKeyRef?: unknown } }) => e.valueFrom?.secretKeyRef,
  )) {
    t.ok(ref.valueFrom.secretKeyRef.key in secret, `${ref.name} comes from a key the Secret has`);
  }

  // SIGTERM: preStop, then SHUTDOWN_TIMEOUT_MS for running operations, 5 s for the aborted ones to end
  // (src/operations/queue.ts stop), then the store closes; the kubelet must not SIGKILL before that.
  const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
  const needed = preStop + env.SHUTDOWN_TIMEOUT_MS / 1000 + 5;
  t.ok(
    pod.spec.terminationGracePeriodSeconds >= needed,
    `grace ${pod.spec.terminationGracePeriodSeconds} s covers ${needed} s of shutdown`,
  );
});
