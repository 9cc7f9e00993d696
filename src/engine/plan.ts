// A preview as people read it: the engine's step events folded into one entry per resource,
// grouped by the component of the baseline it belongs to (key, bucket, trail per region, delivery,
// alarms, watch), with counts computed from the same entries (so they agree), and for updates and
// replacements the properties that change with their old and new values (the provider's detailed
// diff, values read from the step's old and new state). Components, providers and the stack itself
// are not resources of the account and are not counted.

import { SIG_KEY, UNKNOWN_STRING } from '../engine-values.ts';
import type { EngineEvent } from './types.ts';

export const PLAN_CHANGES = ['create', 'update', 'replace', 'delete'] as const;
export type PlanChange = (typeof PLAN_CHANGES)[number];

export interface PlannedProperty {
  /** Property path as the provider names it (`enableLogging`, `tags.env`, `rules[0].expiration.days`). */
  path: string;
  kind: 'add' | 'update' | 'delete';
  /** The change of this property forces the resource's replacement. */
  replaces: boolean;
  /** Values: '[unknown]' when only the apply will know, '[secret]' for secrets. */
  old: unknown;
  new: unknown;
}

export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  change: PlanChange | 'same';
  properties: PlannedProperty[];
}

export interface PlanGroup {
  /** Stable key: key, bucket, trail:<region>, delivery, alarms, watch, other. */
  key: string;
  title: string;
  region: string | null;
  counts: Record<PlanChange | 'same', number>;
  /** Resources that change, then unchanged ones. */
  resources: PlannedResource[];
}

export interface Plan {
  counts: Record<PlanChange | 'same', number>;
  groups: PlanGroup[];
}

const REPLACE_OPS = new Set(['replace', 'create-replacement', 'delete-replaced', 'discard-replaced']);

const COMPONENTS: Record<string, { key: string; title: string; order: number }> = {
  'trailwarden:baseline:AuditKey': { key: 'key', title: 'Encryption key (KMS)', order: 0 },
  'trailwarden:baseline:LogBucket': { key: 'bucket', title: 'Log bucket (S3)', order: 1 },
  'trailwarden:baseline:AccountTrail': { key: 'trail', title: 'Trail', order: 2 },
  'trailwarden:baseline:LogDelivery': { key: 'delivery', title: 'Delivery to CloudWatch Logs', order: 3 },
  'trailwarden:baseline:AlarmTopic': { key: 'alarms', title: 'Alarms and notifications', order: 4 },
  'trailwarden:baseline:AlarmSet': { key: 'alarms', title: 'Alarms and notifications', order: 4 },
  'trailwarden:baseline:MisconfigurationWatch': {
    key: 'watch',
    title: 'Misconfiguration watch (EventBridge)',
    order: 5,
  },
};
const OTHER = { key: 'other', title: 'Other resources', order: 6 };

type StepMeta = NonNullable<EngineEvent['resourcePreEvent']>['metadata'];

function zero(): Record<PlanChange | 'same', number> {
  return { create: 0, update: 0, replace: 0, delete: 0, same: 0 };
}

export function nameOfUrn(urn: string): string {
  const parts = urn.split('::');
  return parts.length >= 4 ? parts.slice(3).join('::') : urn;
}

/** The qualified type of a URN: its ancestors' types then its own, `$`-separated. */
function typeChain(urn: string): string[] {
  const parts = urn.split('::');
  return (parts[2] ?? '').split('$');
}

function isResource(type: string, custom: boolean | undefined): boolean {
  if (type.startsWith('pulumi:')) return false;
  if (custom === false) return false;
  return !type.startsWith('trailwarden:');
}

function changeOf(op: string): PlanChange | 'same' | undefined {
  if (REPLACE_OPS.has(op)) return 'replace';
  if (op === 'create' || op === 'import' || op === 'import-replacement') return 'create';
  if (op === 'update') return 'update';
  if (op === 'delete') return 'delete';
  if (op === 'same') return 'same';
  return undefined;
}

/** Splits `a.b[0]["x.y"]` into ['a', 'b', '0', 'x.y']. */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  const re = /([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of path.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!.replace(/\\(.)/g, '$1'));
  return out;
}

function getAt(obj: unknown, path: string): { found: boolean; value: unknown } {
  let cur = obj;
  for (const seg of pathSegments(path)) {
    if (cur === null || typeof cur !== 'object' || !(seg in (cur as object)))
      return { found: false, value: null };
    cur = (cur as Record<string, unknown>)[seg];
  }
  return { found: true, value: cur };
}

/** Unknowns and secrets as words; everything else as is. */
export function displayValue(value: unknown): unknown {
  if (value === UNKNOWN_STRING) return '[unknown]';
  if (Array.isArray(value)) return value.map(displayValue);
  if (value && typeof value === 'object') {
    if (SIG_KEY in value) return '[secret]';
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, displayValue(v)]));
  }
  return value;
}

function propertiesOf(meta: StepMeta): PlannedProperty[] {
  const detailed = (meta.detailedDiff ?? {}) as Record<
    string,
    { diffKind?: string; kind?: string; inputDiff?: boolean }
  >;
  const paths = Object.keys(detailed).length > 0 ? Object.keys(detailed) : (meta.diffs ?? []);
  const replaceKeys = new Set(meta.keys ?? []);
  return paths
    .filter((p) => !p.startsWith('__'))
    .map((path) => {
      const entry = detailed[path];
      const rawKind = String(entry?.diffKind ?? entry?.kind ?? 'update');
      const kind = (rawKind.replace(/[-_]replace$/i, '').toLowerCase() ||
        'update') as PlannedProperty['kind'];
      const which = entry?.inputDiff === false ? 'outputs' : 'inputs';
      const before = getAt(meta.old?.[which], path);
      const after = getAt(meta.new?.[which], path);
      return {
        path,
        kind: kind === 'add' || kind === 'delete' ? kind : 'update',
        replaces: /replace$/i.test(rawKind) || replaceKeys.has(pathSegments(path)[0] ?? path),
        old: kind === 'add' || !before.found ? null : displayValue(before.value),
        new: kind === 'delete' || !after.found ? null : displayValue(after.value),
      };
    });
}

/** Folds preview (or apply) step events into the plan. */
export function buildPlan(events: readonly unknown[]): Plan {
  const parents = new Map<string, string>();
  const componentNames = new Map<string, string>();
  const resources = new Map<string, PlannedResource & { order: number }>();
  let order = 0;
  for (const raw of events) {
    const event = raw as EngineEvent;
    const meta = (event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata) as
      | StepMeta
      | undefined;
    if (!meta) continue;
    const state = meta.new ?? meta.old;
    if (state?.parent) parents.set(meta.urn, state.parent);
    if (meta.type.startsWith('trailwarden:')) componentNames.set(meta.urn, meta.type);
    if (!isResource(meta.type, state?.custom)) continue;
    const change = changeOf(meta.op);
    if (!change) continue;
    const existing = resources.get(meta.urn);
    const properties = propertiesOf(meta);
    if (!existing) {
      resources.set(meta.urn, {
        urn: meta.urn,
        type: meta.type,
        name: nameOfUrn(meta.urn),
        change,
        properties: change === 'update' || change === 'replace' ? properties : [],
        order: order++,
      });
      continue;
    }
    // A replacement is several steps on one URN; it stays a replacement, with the richest diff.
    if (existing.change !== 'replace' && change !== 'same') existing.change = change;
    if (
      (existing.change === 'update' || existing.change === 'replace') &&
      properties.length > existing.properties.length
    )
      existing.properties = properties;
  }

  const componentOf = (urn: string): { key: string; title: string; order: number; region: string | null } => {
    // Nearest ancestor that is a baseline component, by the parents the events name…
    let cur = parents.get(urn);
    for (let depth = 0; cur && depth < 16; depth++) {
      const type = componentNames.get(cur) ?? typeChain(cur).at(-1) ?? '';
      const c = COMPONENTS[type];
      if (c) {
        const region =
          c.key === 'trail' ? (/-trail-([a-z]{2}(?:-[a-z]+)+-\d)$/.exec(nameOfUrn(cur))?.[1] ?? null) : null;
        return { ...c, region };
      }
      cur = parents.get(cur);
    }
    // …else by the URN's own type chain (no region then).
    for (const type of typeChain(urn).reverse()) {
      const c = COMPONENTS[type];
      if (c) return { ...c, region: null };
    }
    return { ...OTHER, region: null };
  };

  const groups = new Map<string, PlanGroup & { order: number }>();
  const counts = zero();
  for (const r of [...resources.values()].sort((a, b) => a.order - b.order)) {
    const c = componentOf(r.urn);
    const key = c.key === 'trail' && c.region ? `trail:${c.region}` : c.key;
    let group = groups.get(key);
    if (!group) {
      group = {
        key,
        title: c.key === 'trail' && c.region ? `Trail in ${c.region}` : c.title,
        region: c.region,
        counts: zero(),
        resources: [],
        order: c.order,
      };
      groups.set(key, group);
    }
    const { order: _order, ...resource } = r;
    group.resources.push(resource);
    group.counts[r.change] += 1;
    counts[r.change] += 1;
  }
  const rank = (r: PlannedResource) => (r.change === 'same' ? 1 : 0);
  return {
    counts,
    groups: [...groups.values()]
      .sort((a, b) => a.order - b.order || a.key.localeCompare(b.key))
      .map(({ order: _order, ...g }) => ({ ...g, resources: g.resources.sort((a, b) => rank(a) - rank(b)) })),
  };
}
