// Making a stack usable again after its update was killed: what the engine left on disk (DIY
// backend: checkpoint, its side file, temp files, lock) and in the checkpoint (pending creates).
//
// Layout of the DIY backend (pkg/backend/diy in pulumi v3.260): the checkpoint is
// `.pulumi/stacks/<project>/<stack>.json`, its previous version `<stack>.json.bak`, every update's
// checkpoint also under `.pulumi/history/<project>/<stack>/<stack>-<time>.checkpoint.json`; locks
// are `.pulumi/locks/<org>/<project>/<stack>/<lock-id>.json`. The gocloud file blob store writes
// each object through a `<name>.<nanos>.tmp` file and keeps metadata in a `<name>.attrs` side
// file: an empty side file (a kill between create and write) makes every load fail with EOF.
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccountInventory, Found, Lookups, WantedResource } from './inventory.ts';
import { GENERATED_ID_TYPES, wantedOf } from './inventory.ts';

export interface PendingCreateOutcome {
  urn: string;
  type: string;
  /** imported: in the account, now in the state; cleared: not in the account; unresolved: cannot tell. */
  outcome: 'imported' | 'cleared' | 'unresolved';
  id?: string;
  by?: string;
}

export interface DuplicateReport {
  urn: string;
  type: string;
  /** The id the stack uses. */
  kept: string;
  /** Other resources in the account with the same stack and logical name (left alone, reported). */
  duplicates: string[];
}

export interface RecoveryReport {
  accountId: string;
  /** Files repaired or removed to make the checkpoint loadable again. */
  checkpointRepairs: string[];
  tempFilesRemoved: number;
  /** Whether no lock is left on the stack (DIY backends: checked on disk). */
  lockReleased: boolean;
  locksRemoved: number;
  pendingCreates: PendingCreateOutcome[];
  /** Pending updates and deletes, settled by the refresh. */
  otherPendingOperations: number;
  refreshed: boolean;
  duplicates: DuplicateReport[];
  /** Steps that failed; the stack may need attention. */
  problems: string[];
}

export function emptyReport(accountId: string): RecoveryReport {
  return {
    accountId,
    checkpointRepairs: [],
    tempFilesRemoved: 0,
    lockReleased: false,
    locksRemoved: 0,
    pendingCreates: [],
    otherPendingOperations: 0,
    refreshed: false,
    duplicates: [],
    problems: [],
  };
}

/** One line a user reads on the interrupted operation. */
export function describeRecovery(r: RecoveryReport): string {
  const parts: string[] = [];
  parts.push(
    r.lockReleased ? 'the stack lock is released' : 'the stack lock could NOT be confirmed released',
  );
  if (r.checkpointRepairs.length) parts.push(`checkpoint repaired (${r.checkpointRepairs.join('; ')})`);
  if (r.tempFilesRemoved) parts.push(`${r.tempFilesRemoved} temporary state file(s) removed`);
  const by = (o: PendingCreateOutcome['outcome']) => r.pendingCreates.filter((p) => p.outcome === o);
  if (r.pendingCreates.length) {
    const imported = by('imported');
    const cleared = by('cleared');
    const unresolved = by('unresolved');
    const list = (ps: PendingCreateOutcome[]) =>
      ps.map((p) => `${p.type} ${p.urn.split('::').pop()}${p.id ? ` (${p.id})` : ''}`).join(', ');
    if (imported.length) parts.push(`imported into the state what was being created: ${list(imported)}`);
    if (cleared.length) parts.push(`not created in the account, cleared: ${list(cleared)}`);
    if (unresolved.length)
      parts.push(`could not be looked up, cleared (check the account): ${list(unresolved)}`);
  }
  if (r.otherPendingOperations) parts.push(`${r.otherPendingOperations} pending update(s)/delete(s) settled`);
  for (const d of r.duplicates)
    parts.push(
      `DUPLICATE ${d.type} ${d.urn.split('::').pop()}: the stack uses ${d.kept}, also in the account: ${d.duplicates.join(', ')}`,
    );
  for (const p of r.problems) parts.push(`problem: ${p}`);
  return `${parts.join('; ')}.`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function isJson(path: string): Promise<boolean> {
  try {
    const text = await readFile(path, 'utf8');
    if (!text.trim()) return false;
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.trailwarden-${process.pid}.partial`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * Repairs a DIY (file://) checkpoint of one stack: an empty or corrupt side file is removed, an
 * empty or corrupt checkpoint is restored from `.bak` or the newest valid history checkpoint, and
 * temp files the blob store left are removed. Only call when no update runs on the stack.
 */
export async function repairFileCheckpoint(
  stateRoot: string,
  project: string,
  stack: string,
  report: RecoveryReport,
): Promise<void> {
  const stacksDir = join(stateRoot, '.pulumi', 'stacks', project);
  const historyDir = join(stateRoot, '.pulumi', 'history', project, stack);
  const checkpoint = join(stacksDir, `${stack}.json`);

  for (const dir of [stacksDir, historyDir]) {
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const ours = dir === historyDir || name.startsWith(`${stack}.json`);
      if (ours && (name.endsWith('.tmp') || name.endsWith('.partial'))) {
        await rm(join(dir, name), { force: true });
        report.tempFilesRemoved++;
      }
    }
  }

  for (const file of [checkpoint, `${checkpoint}.bak`]) {
    const attrs = `${file}.attrs`;
    if ((await exists(attrs)) && !(await isJson(attrs))) {
      await rm(attrs, { force: true });
      report.checkpointRepairs.push(
        `removed the empty or corrupt side file ${file.slice(stateRoot.length + 1)}.attrs`,
      );
    }
  }

  if (!(await exists(checkpoint)) || (await isJson(checkpoint))) return;
  const candidates = [`${checkpoint}.bak`];
  try {
    const history = (await readdir(historyDir))
      .filter((n) => n.endsWith('.checkpoint.json'))
      .sort()
      .reverse();
    candidates.push(...history.map((n) => join(historyDir, n)));
  } catch {
    // no history kept
  }
  for (const candidate of candidates) {
    if (!(await isJson(candidate))) continue;
    await writeAtomic(checkpoint, await readFile(candidate));
    await rm(`${checkpoint}.attrs`, { force: true });
    report.checkpointRepairs.push(
      `restored the corrupt checkpoint from ${candidate.slice(stateRoot.length + 1)}`,
    );
    return;
  }
  // Nothing to restore from: the stack never finished a write after its first one. Moved aside
  // (kept for inspection), so the stack is created afresh instead of failing every load.
  const aside = `${checkpoint}.corrupt-${Date.now()}`;
  await rename(checkpoint, aside);
  await rm(`${checkpoint}.attrs`, { force: true });
  report.problems.push(
    `the checkpoint was corrupt with no valid backup or history; moved aside to ${aside.slice(stateRoot.length + 1)}`,
  );
}

// The parts of an exported deployment (apitype.DeploymentV3) recovery reads and edits.
export interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  provider?: string;
  [key: string]: unknown;
}
export interface Deployment {
  resources?: StateResource[];
  pending_operations?: { resource: StateResource; type: string }[];
  [key: string]: unknown;
}

/** The Region of each aws provider of a deployment, by provider reference (`<urn>::<id>`). */
function providerRegions(deployment: Deployment): Map<string, string> {
  const regions = new Map<string, string>();
  for (const r of deployment.resources ?? [])
    if (r.type.startsWith('pulumi:providers:') && r.id && typeof r.inputs?.region === 'string')
      regions.set(`${r.urn}::${r.id}`, r.inputs.region);
  return regions;
}

/**
 * Looks up, in one go, what recovery needs from the account: every pending create, and every
 * generated-id resource of the state (for duplicates). Keyed by URN; undefined: not looked up.
 */
export async function lookUpForRecovery(
  deployment: Deployment,
  accountId: string,
  stackName: string,
  inventory: AccountInventory,
  lookups: Lookups,
): Promise<Map<string, Found | undefined>> {
  const regions = providerRegions(deployment);
  const wanted: WantedResource[] = [];
  const add = (r: StateResource) => {
    if (!r.type.startsWith('pulumi:') && !wanted.some((w) => w.urn === r.urn))
      wanted.push(wantedOf(r, r.provider ? regions.get(r.provider) : undefined));
  };
  for (const op of deployment.pending_operations ?? []) if (op.type === 'creating') add(op.resource);
  // Aliases too: of several keys, the one an alias points at is the one in use.
  for (const r of deployment.resources ?? [])
    if (r.id && (GENERATED_ID_TYPES.has(r.type) || r.type === 'aws:kms/alias:Alias')) add(r);
  const found = wanted.length ? await inventory.findAll(accountId, stackName, wanted, lookups) : [];
  return new Map(wanted.map((w, i) => [w.urn, found[i]]));
}

/**
 * Why not `pulumi refresh --import-pending-creates URN ID` (v3.260): the CLI only retypes the
 * pending operation as "importing" (pkg/cmd/pulumi/operations/refresh.go); the engine never reads
 * such operations and the next checkpoint keeps only "creating" ones, so the resource ends in
 * neither the resources nor the pending operations (tried: "44 unchanged", the role gone from the
 * state, still in the account). Moving it into the resources with its id, then refreshing, does
 * what the flag promises.
 *
 * Resolves the pending creates of a deployment against what the account holds (`found`, from
 * lookUpForRecovery), in place: a resource found moves into the state with its id (the following
 * refresh reads its real properties, and drops it if the provider finds nothing), one not found is
 * cleared. Returns whether the deployment changed.
 */
export function resolvePendingCreates(
  deployment: Deployment,
  found: Map<string, Found | undefined>,
  report: RecoveryReport,
): boolean {
  const pending = deployment.pending_operations ?? [];
  if (!pending.length) return false;
  deployment.resources ??= [];
  const resources = deployment.resources;
  const taken = new Set(resources.filter((r) => r.id).map((r) => `${r.type}\0${r.id}`));
  const keep: typeof pending = [];
  for (const op of pending) {
    if (op.type !== 'creating') {
      // Updates and deletes: the resource is in the state; the refresh reads what it is now.
      // (`pulumi stack import` drops every pending operation that is left: nothing is lost.)
      report.otherPendingOperations++;
      keep.push(op);
      continue;
    }
    const res = op.resource;
    const hit = found.get(res.urn);
    const ids = (hit?.ids ?? []).filter((id) => !taken.has(`${res.type}\0${id}`));
    if (!hit) {
      report.pendingCreates.push({ urn: res.urn, type: res.type, outcome: 'unresolved' });
      continue;
    }
    if (!ids.length) {
      report.pendingCreates.push({ urn: res.urn, type: res.type, outcome: 'cleared', by: hit.by });
      continue;
    }
    const [id, ...others] = ids as [string, ...string[]];
    taken.add(`${res.type}\0${id}`);
    // Nothing in the state can depend on a resource still being created, so appending keeps the
    // resource list in dependency order.
    resources.push({ ...res, id, outputs: res.outputs ?? {} });
    report.pendingCreates.push({ urn: res.urn, type: res.type, outcome: 'imported', id, by: hit.by });
    if (others.length && GENERATED_ID_TYPES.has(res.type))
      report.duplicates.push({ urn: res.urn, type: res.type, kept: id, duplicates: others });
  }
  deployment.pending_operations = keep;
  return true;
}

/** Generated-id resources of the state that have look-alikes in the account (e.g. a second key). */
export function findDuplicates(
  deployment: Deployment,
  found: Map<string, Found | undefined>,
  report: RecoveryReport,
): void {
  for (const res of deployment.resources ?? []) {
    if (!res.id || !GENERATED_ID_TYPES.has(res.type)) continue;
    if (report.duplicates.some((d) => d.urn === res.urn)) continue;
    const others = (found.get(res.urn)?.ids ?? []).filter((id) => id !== res.id);
    if (others.length)
      report.duplicates.push({ urn: res.urn, type: res.type, kept: res.id, duplicates: others });
  }
}
