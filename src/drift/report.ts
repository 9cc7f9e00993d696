// Builds a drift report from the engine events of a refresh preview
// (`pulumi refresh --preview-only`, Automation API `stack.previewRefresh()`).
//
// How the engine reports a refresh (pulumi/pulumi: pkg/resource/deploy/step.go RefreshStep.Apply
// and ResultOp; pkg/engine previewActions.OnResourceStepPost; pkg/engine/events.go
// makeStepEventMetadata):
// - each custom resource gets a `resourcePreEvent` with op `refresh` (old === new then: the read
//   has not happened yet, no diff), then a `resOutputsEvent` whose op is the step's ResultOp:
//   `same` (no drift), `update` (drift) or `delete` (the provider read found nothing; `new` absent);
// - `old` is the state before the refresh, `new` the state the provider read now;
// - `diffs` / `detailedDiff` carry the provider's diff of the read state against the recorded
//   inputs, inverted so that it reads "state -> cloud" (absent for external resources, when the
//   legacy refresh diff is enabled, or when the provider gives no detailed diff);
// - component and provider resources never change on refresh; a read that fails yields a
//   diagnostic (severity error, with the URN) in a preview, a `resOpFailedEvent` in an update.
// Older engines put op `refresh` on the outputs event too; that is handled like `update`/`delete`.

import type {
  EngineEvent,
  StepEventMetadata,
  StepEventStateMetadata,
} from '@pulumi/pulumi/automation/index.js';
import { type Static, Type } from 'typebox';
import {
  type Classification,
  classify,
  type DriftOperation,
  maxSeverity,
  pathCovers,
  SEVERITIES,
  SEVERITY_RULES,
  type Severity,
  type SeverityRule,
  severityRank,
} from './severity.ts';

// ---- schema (shared with the API / OpenAPI) ---------------------------------------------------

export const DriftSeverity = Type.Enum(SEVERITIES, {
  description:
    'critical: the account is (partly) blinded; high: detection or evidence weakened; low: cosmetic',
});

export const DriftProperty = Type.Object(
  {
    path: Type.String({
      description: 'Pulumi property path',
      examples: ['enableLogging', 'tags.env', 'advancedEventSelectors[0].fieldSelectors'],
    }),
    change: Type.Enum(['changed', 'added', 'removed'] as const, {
      description: 'added: the cloud has a value the state did not record; removed: the cloud lost it',
    }),
    expected: Type.Unknown({
      description: 'Value the state recorded (null: absent). Secrets read "[secret]".',
    }),
    actual: Type.Unknown({ description: 'Value the cloud has now (null: absent). Secrets read "[secret]".' }),
    severity: DriftSeverity,
    rule: Type.Optional(Type.String({ description: 'Id of the severity rule that matched' })),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const DriftedResource = Type.Object(
  {
    urn: Type.String(),
    type: Type.String({ examples: ['aws:cloudtrail/trail:Trail'] }),
    name: Type.String({ description: 'Logical name (last URN segment)' }),
    id: Type.Union([Type.String(), Type.Null()], { description: 'Physical id' }),
    operation: Type.Enum(['modified', 'deleted'] as const),
    severity: DriftSeverity,
    rule: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    properties: Type.Array(DriftProperty),
  },
  { additionalProperties: false },
);

export const UnverifiedResource = Type.Object(
  {
    urn: Type.String(),
    type: Type.String(),
    name: Type.String(),
  },
  { additionalProperties: false, description: 'A resource the refresh could not read' },
);

export const DriftCounts = Type.Object(
  {
    critical: Type.Integer({ minimum: 0 }),
    high: Type.Integer({ minimum: 0 }),
    low: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, description: 'Drifted resources by severity' },
);

export const DriftFinding = Type.Object(
  {
    id: Type.String({ description: 'Stable id of the finding', examples: ['alarm-topic-unsubscribed'] }),
    severity: DriftSeverity,
    reason: Type.String(),
    urn: Type.String({ description: 'The resource the finding is about' }),
  },
  {
    additionalProperties: false,
    description:
      'A hole found in the state the refresh read, although nothing drifted (e.g. nobody receives the alarms)',
  },
);

export const AlarmDelivery = Type.Object(
  {
    topicUrn: Type.String({ description: "The first alarm topic read (the home Region's)" }),
    unconfirmedTopics: Type.Optional(
      Type.Array(
        Type.Object(
          { urn: Type.String(), region: Type.String(), count: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
        { description: 'Topics (one per trail Region) with no confirmed subscription' },
      ),
    ),
    subscriptions: Type.Array(
      Type.Object(
        {
          urn: Type.String(),
          protocol: Type.String(),
          endpoint: Type.Optional(Type.String()),
          pendingConfirmation: Type.Boolean(),
          region: Type.Optional(Type.String({ description: 'The Region of the topic it belongs to' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      "The alarm topics' subscriptions as the refresh read them (pendingConfirmation: not confirmed yet)",
  },
);

export const DriftReport = Type.Object(
  {
    accountId: Type.String(),
    operationId: Type.Optional(Type.String()),
    checkedAt: Type.String({ format: 'date-time' }),
    clean: Type.Boolean({ description: 'No drift found and every resource could be read' }),
    severity: Type.Union([DriftSeverity, Type.Null()], {
      description: 'Highest severity; null when no drift',
    }),
    counts: DriftCounts,
    resources: Type.Array(DriftedResource),
    unverified: Type.Array(UnverifiedResource),
    findings: Type.Optional(Type.Array(DriftFinding)),
    alarmDelivery: Type.Optional(AlarmDelivery),
  },
  { additionalProperties: false, $id: 'DriftReport' },
);

export type DriftProperty = Static<typeof DriftProperty>;
export type DriftedResource = Static<typeof DriftedResource>;
export type UnverifiedResource = Static<typeof UnverifiedResource>;
export type DriftReport = Static<typeof DriftReport>;
export type DriftFinding = Static<typeof DriftFinding>;
export type AlarmDelivery = Static<typeof AlarmDelivery>;

// ---- engine value markers -----------------------------------------------------------------

/** Key that marks a special value in serialized property maps (sdk/go/common/resource). */
export const SIG_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
/** Sentinels for unknown values (sdk/go/common/resource/plugin/rpc.go). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  '1c4a061d-8072-4f0a-a4cb-0ff528b18fe7', // bool
  '3eeb2bf0-c639-47a8-9e75-3b44932eb421', // number
  '04da6b54-80e4-46f7-96ec-b56ff0331ba9', // string
  '6a19a0b0-7e62-4c92-b797-7f8e31da9cc2', // array
  '030794c1-ac77-496b-92df-f27374a8bd58', // asset
  'e48ece36-62e2-4504-bad9-02848725956a', // archive
  'dd056dcd-154b-4c76-9bd3-c8f88648b5ff', // object
]);

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isSecretMarker(v: unknown): boolean {
  return isPlainObject(v) && v[SIG_KEY] === SECRET_SIG;
}

export function isUnknownMarker(v: unknown): boolean {
  return typeof v === 'string' && UNKNOWN_SENTINELS.has(v);
}

function isOpaque(v: unknown): boolean {
  return isSecretMarker(v) || isUnknownMarker(v);
}

function isInternalKey(k: string): boolean {
  return k.startsWith('__');
}

function isAbsent(v: unknown): boolean {
  return v === undefined || v === null;
}

function isUnset(v: unknown): boolean {
  return isAbsent(v) || v === '';
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

// ---- property paths -------------------------------------------------------------------------

export type PathSegment = string | number;

const SIMPLE_KEY = /^[\p{L}\p{N}_$]+$/u;

/** Formats like the engine's PropertyPath.String(): `a.b[0]`, `tags["trailwarden:managed-by"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (SIMPLE_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Parses a property path as the engine writes detailedDiff keys. Throws on malformed input. */
export function parsePath(path: string): PathSegment[] {
  const segs: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path.charAt(i);
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      const close = path.charAt(i + 1) === '"' ? findQuotedEnd(path, i + 2) : path.indexOf(']', i);
      if (close < 0) throw new Error(`malformed property path: ${path}`);
      if (path.charAt(i + 1) === '"') {
        segs.push(JSON.parse(path.slice(i + 1, close + 1)) as string);
        if (path.charAt(close + 1) !== ']') throw new Error(`malformed property path: ${path}`);
        i = close + 2;
      } else {
        const inner = path.slice(i + 1, close);
        segs.push(/^\d+$/.test(inner) ? Number(inner) : inner);
        i = close + 1;
      }
      continue;
    }
    let j = i;
    while (j < path.length && path.charAt(j) !== '.' && path.charAt(j) !== '[') j++;
    segs.push(path.slice(i, j));
    i = j;
  }
  return segs;
}

function findQuotedEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\') i++;
    else if (c === '"') return i;
  }
  return -1;
}

function getAt(root: unknown, segs: readonly PathSegment[]): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const seg of segs) {
    if (typeof seg === 'number' && Array.isArray(cur) && seg < cur.length) cur = cur[seg];
    else if (typeof seg === 'string' && isPlainObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}

// ---- diffing ----------------------------------------------------------------------------------

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

// ---- resources --------------------------------------------------------------------------------

/** Logical name: what follows the type in `urn:pulumi:<stack>::<project>::<parent$type>::<name>`. */
export function nameFromUrn(urn: string): string {
  const parts = urn.split('::');
  return parts.length >= 4 ? parts.slice(3).join('::') : urn;
}

/** Resource type from the URN's qualified type (`parentType$type`); '' when not a URN. */
export function typeFromUrn(urn: string): string {
  const parts = urn.split('::');
  return parts.length >= 4 ? (parts[2]!.split('$').pop() ?? '') : '';
}

export function isIgnoredResource(
  meta: Pick<StepEventMetadata, 'type'> & Partial<StepEventMetadata>,
): boolean {
  if (meta.type.startsWith('pulumi:providers:')) return true;
  if (meta.type === 'pulumi:pulumi:Stack') return true;
  const state = meta.old ?? meta.new;
  return state?.custom === false;
}

export interface BuildDriftReportInput {
  accountId: string;
  events: readonly EngineEvent[];
  checkedAt: Date | string;
  operationId?: string;
  /** Severity table override (tests, or a stricter policy); defaults to SEVERITY_RULES. */
  rules?: readonly SeverityRule[];
}

type Outcome =
  | { kind: 'drift'; meta: StepEventMetadata; operation: DriftOperation }
  | { kind: 'same' }
  | { kind: 'failed'; type: string };

function outcomeOf(meta: StepEventMetadata): Outcome | null {
  switch (meta.op) {
    case 'same':
      return { kind: 'same' };
    case 'update':
      return { kind: 'drift', meta, operation: 'modified' };
    case 'delete':
      return { kind: 'drift', meta, operation: 'deleted' };
    case 'refresh':
      // Older engines: the outputs event keeps op `refresh`; the states tell what happened.
      if (!meta.new) return { kind: 'drift', meta, operation: 'deleted' };
      return { kind: 'drift', meta, operation: 'modified' };
    default:
      return null;
  }
}

function toIso(checkedAt: Date | string): string {
  const d = checkedAt instanceof Date ? checkedAt : new Date(checkedAt);
  if (Number.isNaN(d.getTime())) throw new TypeError('checkedAt is not a valid date');
  return d.toISOString();
}

function ruleOf(c: Classification): { rule?: string; reason?: string } {
  return c.rule === undefined ? {} : { rule: c.rule, reason: c.reason };
}

export function buildDriftReport(input: BuildDriftReportInput): DriftReport {
  const rules = input.rules ?? SEVERITY_RULES;
  const outcomes = new Map<string, Outcome>();

  for (const event of input.events) {
    const outputs = event.resOutputsEvent?.metadata;
    if (outputs && !isIgnoredResource(outputs)) {
      const o = outcomeOf(outputs);
      if (o) outcomes.set(outputs.urn, o);
    }
    // A read that fails: in a preview the engine reports it as an error diagnostic on the URN
    // (and no outputs event); in an update as a resOpFailedEvent.
    const failed = event.resOpFailedEvent?.metadata;
    if (failed && !isIgnoredResource(failed) && !outcomes.has(failed.urn)) {
      outcomes.set(failed.urn, { kind: 'failed', type: failed.type });
    }
    const diag = event.diagnosticEvent;
    if (diag?.severity === 'error' && diag.urn && !outcomes.has(diag.urn)) {
      const type = typeFromUrn(diag.urn);
      if (type !== '' && !isIgnoredResource({ type })) outcomes.set(diag.urn, { kind: 'failed', type });
    }
  }

  const resources: DriftedResource[] = [];
  const unverified: UnverifiedResource[] = [];
  const alarmDelivery = alarmDeliveryOf(input.events);
  const findings = alarmDelivery ? alarmDeliveryFindings(alarmDelivery) : [];

  for (const [urn, o] of outcomes) {
    if (o.kind === 'same') continue;
    const name = nameFromUrn(urn);
    if (o.kind === 'failed') {
      unverified.push({ urn, type: o.type, name });
      continue;
    }
    const { meta } = o;
    const id = meta.old?.id || meta.new?.id || null;

    if (o.operation === 'deleted') {
      const c = classify({ type: meta.type, operation: 'deleted' }, rules);
      resources.push({
        urn,
        type: meta.type,
        name,
        id,
        operation: 'deleted',
        severity: c.severity,
        ...ruleOf(c),
        properties: [],
      });
      continue;
    }

    const all = propertyDiffs(meta);
    // A subscription confirmed by its recipient is its lifecycle, not drift (it is alarm delivery).
    const diffs = all.filter((d) => !(meta.type === SNS_SUBSCRIPTION_TYPE && LIFECYCLE_PATHS.has(d.path)));
    if (all.length > 0 && diffs.length === 0) continue;
    if (diffs.length === 0 && meta.op === 'refresh') continue; // legacy op with nothing that differs

    const properties: DriftProperty[] = diffs.map((d) => {
      const c = classify(
        {
          type: meta.type,
          operation: 'modified',
          path: d.path,
          expected: d.expected ?? undefined,
          actual: d.actual ?? undefined,
        },
        rules,
      );
      // The AWS provider reads unset strings as "": count them as absent for the kind of change.
      const change = isUnset(d.expected) ? 'added' : isUnset(d.actual) ? 'removed' : 'changed';
      return {
        path: d.path,
        change,
        expected: presentValue(d.expected),
        actual: presentValue(d.actual),
        severity: c.severity,
        ...ruleOf(c),
      };
    });

    let resourceClass: Classification;
    if (properties.length === 0) {
      // The engine reports drift but names no property we can show: classify the resource as a whole.
      resourceClass = classify({ type: meta.type, operation: 'modified' }, rules);
    } else {
      const worst = [...properties].sort((a, b) => severityRank(b.severity) - severityRank(a.severity))[0]!;
      resourceClass = { severity: worst.severity, rule: worst.rule, reason: worst.reason };
    }
    resources.push({
      urn,
      type: meta.type,
      name,
      id,
      operation: 'modified',
      severity: resourceClass.severity,
      ...ruleOf(resourceClass),
      properties,
    });
  }

  resources.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.urn.localeCompare(b.urn));
  unverified.sort((a, b) => a.urn.localeCompare(b.urn));

  const counts = { critical: 0, high: 0, low: 0 };
  for (const r of resources) counts[r.severity satisfies Severity]++;

  const report: DriftReport = {
    accountId: input.accountId,
    checkedAt: toIso(input.checkedAt),
    clean: resources.length === 0 && unverified.length === 0 && findings.length === 0,
    severity: maxSeverity([...resources.map((r) => r.severity), ...findings.map((f) => f.severity)]),
    counts,
    resources,
    unverified,
  };
  if (input.operationId !== undefined) report.operationId = input.operationId;
  if (findings.length > 0) report.findings = findings;
  if (alarmDelivery) report.alarmDelivery = alarmDelivery;
  return report;
}

// ---- alarm delivery -----------------------------------------------------------------------

export const SNS_TOPIC_TYPE = 'aws:sns/topic:Topic';
export const SNS_SUBSCRIPTION_TYPE = 'aws:sns/topicSubscription:TopicSubscription';
/** Subscription outputs SNS changes when the endpoint confirms (pulumi-aws TopicSubscription). */
const LIFECYCLE_PATHS: ReadonlySet<string> = new Set(['pendingConfirmation', 'confirmationWasAuthenticated']);

/**
 * The alarm topic (the program's only SNS topic, stacks/alarms/alarm-topic.ts) and its
 * subscriptions as the refresh read them (every outputs event, `same`
 * included: an email still pending confirmation is no drift, but it is a hole). pulumi-aws reads
 * `pendingConfirmation` from SNS's GetSubscriptionAttributes; a subscription the read no longer
 * finds (op delete) is not counted.
 */
export function alarmDeliveryOf(events: readonly EngineEvent[]): AlarmDelivery | undefined {
  // Every trail Region has its own alarm topic (its alarms can only notify a topic in their
  // Region), so delivery is judged per topic: a subscription belongs to the topic its `topic`
  // output names.
  const topics = new Map<string, string>(); // topic ARN -> URN
  let topicUrn: string | undefined;
  const subscriptions = new Map<string, AlarmDelivery['subscriptions'][number] & { topicArn?: string }>();
  for (const event of events) {
    const meta = event.resOutputsEvent?.metadata;
    if (!meta) continue;
    if (meta.type === SNS_TOPIC_TYPE && meta.new) {
      topicUrn ??= meta.urn;
      const arn = isPlainObject(meta.new.outputs) ? meta.new.outputs.arn : undefined;
      if (typeof arn === 'string') topics.set(arn, meta.urn);
    }
    if (meta.type !== SNS_SUBSCRIPTION_TYPE) continue;
    const outputs = meta.new?.outputs;
    if (!isPlainObject(outputs) || meta.op === 'delete') {
      subscriptions.delete(meta.urn);
      continue;
    }
    const endpoint = outputs.endpoint;
    const topicArn = typeof outputs.topic === 'string' ? outputs.topic : undefined;
    const region = topicArn?.split(':')[3];
    subscriptions.set(meta.urn, {
      urn: meta.urn,
      protocol: typeof outputs.protocol === 'string' ? outputs.protocol : 'unknown',
      ...(typeof endpoint === 'string' ? { endpoint } : {}),
      // Anything but an explicit false is not a confirmed subscription.
      pendingConfirmation: outputs.pendingConfirmation !== false,
      ...(region ? { region } : {}),
      ...(topicArn ? { topicArn } : {}),
    });
  }
  if (!topicUrn) return undefined;
  const all = [...subscriptions.values()].sort((a, b) => a.urn.localeCompare(b.urn));
  // Grouped only when every subscription names a topic the refresh read (as pulumi-aws does).
  const grouped =
    topics.size > 0 &&
    [...topics.keys()].every((arn) => arn.split(':')[3]) &&
    all.every((s) => s.topicArn !== undefined && topics.has(s.topicArn));
  const unconfirmedTopics = [...(grouped ? topics : [])].flatMap(([arn, urn]) =>
    all.some((s) => s.topicArn === arn && !s.pendingConfirmation)
      ? []
      : [{ urn, region: arn.split(':')[3] ?? '', count: all.filter((s) => s.topicArn === arn).length }],
  );
  return {
    topicUrn,
    subscriptions: all.map(({ topicArn: _topicArn, ...s }) => s),
    ...(grouped ? { unconfirmedTopics } : {}),
  };
}

/** "An alarm nobody receives is a hole": a topic without a confirmed subscription is a high finding. */
export function alarmDeliveryFindings(delivery: AlarmDelivery): DriftFinding[] {
  // Topics were told apart (per Region): one finding per topic nobody confirmed.
  if (delivery.unconfirmedTopics !== undefined) {
    return (delivery.unconfirmedTopics ?? []).map((t) => ({
      id: 'alarm-topic-unsubscribed',
      severity: 'high' as const,
      urn: t.urn,
      reason:
        t.count === 0
          ? `The alarm topic in ${t.region} has no subscription: nobody receives the alarms of ${t.region}`
          : `None of the ${t.count} subscriptions of the alarm topic in ${t.region} is confirmed (pending confirmation counts as none): nobody receives the alarms of ${t.region}`,
    }));
  }
  if (delivery.subscriptions.some((s) => !s.pendingConfirmation)) return [];
  return [
    {
      id: 'alarm-topic-unsubscribed',
      severity: 'high',
      urn: delivery.topicUrn,
      reason:
        delivery.subscriptions.length === 0
          ? 'The alarm topic has no subscription: nobody receives the alarms'
          : `None of the ${delivery.subscriptions.length} subscriptions of the alarm topic is confirmed (pending confirmation counts as none): nobody receives the alarms`,
    },
  ];
}
