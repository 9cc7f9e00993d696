// Property values in a refresh: which are absent, how a value is shown in a report, and how the state
// the engine recorded differs from what the provider read.
import type { StepEventMetadata, StepEventStateMetadata } from '@pulumi/pulumi/automation/index.js';
import { isSecretMarker, isUnknownMarker } from '../engine-values.ts';
import { formatPath, getAt, type PathSegment, parsePath, pathCovers } from './property-paths.ts';

type Plain = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOpaque(v: unknown): boolean {
  return isSecretMarker(v) || isUnknownMarker(v);
}

function isInternalKey(k: string): boolean {
  return k.startsWith('__');
}

/**
 * No value: undefined, null, or ''. The AWS provider is bridged from Terraform, whose plugin SDK
 * cannot tell an unset string from "" (hashicorp/terraform-plugin-sdk#741) and reads unset strings as
 * "": a KMS key id that became "" was removed, one that was "" and is now set was added, and "" against
 * null is no drift at all.
 */
export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** A value fit for the report: secrets masked (never their payload), internal keys dropped, absent as null. */
export function presentValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (isSecretMarker(v)) return '[secret]';
  if (isUnknownMarker(v)) return '[unknown]';
  if (Array.isArray(v)) return v.map(presentValue);
  if (isPlainObject(v)) {
    const out: Plain = {};
    for (const [k, inner] of Object.entries(v)) {
      if (isInternalKey(k)) continue;
      out[k] = presentValue(inner);
    }
    return out;
  }
  return v;
}

export interface RawPropertyDiff {
  path: string;
  expected: unknown;
  actual: unknown;
}

/**
 * Deep comparison of what the state recorded (`expected`) with what the cloud has (`actual`).
 * Objects recurse per key; arrays of equal length recurse per index, arrays of different length are
 * reported whole; `__` keys are ignored; a secret or unknown marker on either side is not a diff
 * (its content cannot be compared); null and absent are the same.
 */
export function deepDiff(expected: unknown, actual: unknown, prefix: PathSegment[] = []): RawPropertyDiff[] {
  const out: RawPropertyDiff[] = [];
  walk(expected, actual, prefix, out);
  return out;
}

function walk(a: unknown, b: unknown, path: PathSegment[], out: RawPropertyDiff[]): void {
  if (isOpaque(a) || isOpaque(b)) return;
  if (isAbsent(a) && isAbsent(b)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      if (isInternalKey(k)) continue;
      walk(a[k], b[k], [...path, k], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) walk(a[i], b[i], [...path, i], out);
    return;
  }
  // Scalars, type changes, arrays of different length: reported whole at this path.
  if (!sameValue(a, b)) out.push({ path: formatPath(path), expected: a, actual: b });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isAbsent(a) && isAbsent(b)) return true;
  if (isOpaque(a) || isOpaque(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!isInternalKey(k) && !sameValue(a[k], b[k])) return false;
    return true;
  }
  return Object.is(a, b);
}

function related(p: string, q: string): boolean {
  return pathCovers(p, q) || pathCovers(q, p);
}

function stateMaps(s: StepEventStateMetadata | undefined): { inputs: Plain; outputs: Plain } {
  return {
    inputs: isPlainObject(s?.inputs) ? s.inputs : {},
    outputs: isPlainObject(s?.outputs) ? s.outputs : {},
  };
}

/**
 * Property diffs of one refresh step: from the provider's detailedDiff when there is one (values
 * looked up in inputs or outputs as the diff says), else a deep compare of old vs new outputs,
 * completed by input-only differences, restricted to `diffs` when the engine names the keys.
 */
export function propertyDiffs(meta: StepEventMetadata): RawPropertyDiff[] {
  const old = stateMaps(meta.old);
  const cur = stateMaps(meta.new);
  const detailed = meta.detailedDiff ? Object.entries(meta.detailedDiff) : [];

  if (detailed.length > 0) {
    const out: RawPropertyDiff[] = [];
    for (const [path, pd] of detailed) {
      let segs: PathSegment[];
      try {
        segs = parsePath(path);
      } catch {
        segs = [path];
      }
      const first = segs[0];
      if (typeof first === 'string' && isInternalKey(first)) continue;
      const order = pd?.inputDiff ? (['inputs', 'outputs'] as const) : (['outputs', 'inputs'] as const);
      out.push({ path, ...lookupPair(old, cur, order, segs) });
    }
    return out.sort((x, y) => x.path.localeCompare(y.path));
  }

  const fromOutputs = deepDiff(old.outputs, cur.outputs);
  const merged = [...fromOutputs];
  for (const d of deepDiff(old.inputs, cur.inputs)) {
    if (!merged.some((m) => related(m.path, d.path))) merged.push(d);
  }

  const keys = meta.diffs?.filter((k) => !isInternalKey(k)) ?? [];
  if (keys.length === 0) return merged.sort((x, y) => x.path.localeCompare(y.path));

  const kept = merged.filter((d) => keys.some((k) => pathCovers(formatPath([k]), d.path)));
  for (const k of keys) {
    const p = formatPath([k]);
    if (!kept.some((d) => pathCovers(p, d.path))) {
      // The engine says this key changed but the values cannot show it (secret/unknown on a side).
      kept.push({ path: p, ...lookupPair(old, cur, ['outputs', 'inputs'], [k]) });
    }
  }
  return kept.sort((x, y) => x.path.localeCompare(y.path));
}

/**
 * Values at `segs` in the old and new state: from the first map (in `order`) that has the path on
 * either side, so a property absent on one side reads as absent rather than as the other map's value.
 */
function lookupPair(
  old: { inputs: Plain; outputs: Plain },
  cur: { inputs: Plain; outputs: Plain },
  order: readonly ('inputs' | 'outputs')[],
  segs: readonly PathSegment[],
): { expected: unknown; actual: unknown } {
  for (const which of order) {
    const a = getAt(old[which], segs);
    const b = getAt(cur[which], segs);
    if (a.found || b.found) return { expected: a.value, actual: b.value };
  }
  return { expected: undefined, actual: undefined };
}
