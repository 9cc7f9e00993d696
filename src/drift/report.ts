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

import type { EngineEvent, StepEventMetadata } from '@pulumi/pulumi/automation/index.js';
import { isAbsent, isPlainObject, presentValue, propertyDiffs } from './property-diff.ts';
import type {
  AlarmDelivery,
  DriftedResource,
  DriftFinding,
  DriftProperty,
  DriftReport,
  UnverifiedResource,
} from './schemas.ts';
import {
  type Classification,
  classify,
  type DriftOperation,
  maxSeverity,
  SEVERITY_RULES,
  type Severity,
  type SeverityRule,
  severityRank,
} from './severity.ts';

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
      const change = isAbsent(d.expected) ? 'added' : isAbsent(d.actual) ? 'removed' : 'changed';
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
 * The alarm topic (the program's only SNS topic, stacks/alarm-topic.ts) and its
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
