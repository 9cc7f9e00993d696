import t from 'tap';
import { Value } from 'typebox/value';
import { deepDiff, propertyDiffs } from '../../src/drift/property-diff.ts';
import { formatPath, parsePath } from '../../src/drift/property-paths.ts';
import { buildDriftReport, nameFromUrn, typeFromUrn } from '../../src/drift/report.ts';
import { DriftReport } from '../../src/drift/schemas.ts';
import {
  baselineRefresh,
  bucket,
  bucketPolicy,
  bucketSse,
  COMPONENT_TYPE,
  componentState,
  edit,
  key,
  logGroup,
  metricFilter,
  providerState,
  publicAccessBlock,
  refreshPreviewEvents,
  SECRET,
  SELECTORS,
  trail,
  UNKNOWN_STRING,
  urnOf,
} from './engine-events.ts';

const ACCOUNT = '123456789012';
const CHECKED_AT = '2026-11-26T10:00:00.000Z';

function report(events: Parameters<typeof buildDriftReport>[0]['events'], operationId?: string) {
  const r = buildDriftReport({ accountId: ACCOUNT, events, checkedAt: new Date(CHECKED_AT), operationId });
  // Every report must satisfy the schema the API publishes.
  if (!Value.Check(DriftReport, r)) {
    throw new Error(
      `report fails its schema: ${JSON.stringify([...Value.Errors(DriftReport, r)].slice(0, 3))}`,
    );
  }
  return r;
}

/** The same event stream as it arrives through the CLI's JSON event log. */
function viaJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

t.test('a clean refresh preview gives a clean report', async (t) => {
  const r = report(baselineRefresh(), 'op-1');
  t.equal(r.clean, true);
  t.equal(r.severity, null);
  t.same(r.counts, { critical: 0, high: 0, low: 0 });
  t.same(r.resources, []);
  t.same(r.unverified, []);
  t.equal(r.accountId, ACCOUNT);
  t.equal(r.operationId, 'op-1');
  t.equal(r.checkedAt, CHECKED_AT);
});

t.test('operationId is left out when not given; checkedAt accepts an ISO string', async (t) => {
  const r = buildDriftReport({ accountId: ACCOUNT, events: [], checkedAt: CHECKED_AT });
  t.notOk('operationId' in r);
  t.equal(r.checkedAt, CHECKED_AT);
  t.throws(() => buildDriftReport({ accountId: ACCOUNT, events: [], checkedAt: 'yesterday' }), TypeError);
});

t.test('trail logging stopped: critical, expected true, actual false', async (t) => {
  const events = baselineRefresh([
    {
      state: trail,
      op: 'update',
      read: {
        inputs: edit(trail.inputs, { enableLogging: false }),
        outputs: edit(trail.outputs, { enableLogging: false }),
      },
      diffs: ['enableLogging'],
      detailedDiff: { enableLogging: { diffKind: 'update', inputDiff: true } },
    },
  ]);
  const r = report(events);
  t.equal(r.clean, false);
  t.equal(r.severity, 'critical');
  t.same(r.counts, { critical: 1, high: 0, low: 0 });
  t.equal(r.resources.length, 1);
  const res = r.resources[0]!;
  t.match(res, {
    urn: urnOf('aws:cloudtrail/trail:Trail', 'trail'),
    type: 'aws:cloudtrail/trail:Trail',
    name: 'trail',
    id: trail.id,
    operation: 'modified',
    severity: 'critical',
    rule: 'trail-logging-stopped',
  });
  t.same(res.properties, [
    {
      path: 'enableLogging',
      change: 'changed',
      expected: true,
      actual: false,
      severity: 'critical',
      rule: 'trail-logging-stopped',
      reason: 'Trail logging stopped (StopLogging)',
    },
  ]);
  // The engine's JSON event log form gives the same report.
  t.same(report(viaJson(events)), r);
});

t.test('trail logging turned back on is not critical', async (t) => {
  const stopped = {
    ...trail,
    inputs: edit(trail.inputs, { enableLogging: false }),
    outputs: edit(trail.outputs, { enableLogging: false }),
  };
  const r = report(
    refreshPreviewEvents([
      {
        state: stopped,
        op: 'update',
        read: { inputs: trail.inputs, outputs: trail.outputs },
        detailedDiff: { enableLogging: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.equal(r.resources[0]?.properties[0]?.severity, 'low');
  t.equal(r.severity, 'low');
});

t.test('log file validation turned off: critical', async (t) => {
  const r = report(
    baselineRefresh([
      {
        state: trail,
        op: 'update',
        read: {
          inputs: edit(trail.inputs, { enableLogFileValidation: false }),
          outputs: edit(trail.outputs, { enableLogFileValidation: false }),
        },
        diffs: ['enableLogFileValidation'],
        detailedDiff: { enableLogFileValidation: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.equal(r.severity, 'critical');
  t.match(r.resources[0]?.properties[0], {
    path: 'enableLogFileValidation',
    expected: true,
    actual: false,
    rule: 'trail-log-file-validation-off',
  });
});

t.test('trail KMS encryption removed: critical, change "removed", actual null', async (t) => {
  const r = report(
    baselineRefresh([
      {
        state: trail,
        op: 'update',
        read: {
          inputs: edit(trail.inputs, { kmsKeyId: undefined }),
          outputs: edit(trail.outputs, { kmsKeyId: '' }),
        },
        diffs: ['kmsKeyId'],
        // Inverted diff: the program has the key, the cloud does not -> "delete".
        detailedDiff: { kmsKeyId: { diffKind: 'delete', inputDiff: true } },
      },
    ]),
  );
  t.match(r.resources[0]?.properties[0], {
    path: 'kmsKeyId',
    change: 'removed',
    expected: trail.inputs['kmsKeyId'],
    actual: null,
    severity: 'critical',
    rule: 'trail-kms-changed',
  });
});

t.test(
  'trail KMS removed, legacy diff (outputs only, unset string reads ""): critical, removed',
  async (t) => {
    const r = report(
      baselineRefresh([
        {
          state: trail,
          op: 'update',
          read: { inputs: trail.inputs, outputs: edit(trail.outputs, { kmsKeyId: '' }) },
        },
      ]),
    );
    t.same(
      r.resources[0]?.properties.map((p) => [p.path, p.change, p.actual, p.severity]),
      [['kmsKeyId', 'removed', '', 'critical']],
    );
  },
);

t.test('bucket policy deleted: critical, operation deleted, no properties', async (t) => {
  const events = baselineRefresh([{ state: bucketPolicy, op: 'delete' }]);
  const r = report(events);
  t.equal(r.severity, 'critical');
  t.same(r.resources, [
    {
      urn: urnOf('aws:s3/bucketPolicy:BucketPolicy', 'log-bucket-policy'),
      type: 'aws:s3/bucketPolicy:BucketPolicy',
      name: 'log-bucket-policy',
      id: bucketPolicy.id,
      operation: 'deleted',
      severity: 'critical',
      rule: 'bucket-policy-changed',
      reason:
        'Log bucket policy changed or deleted: CloudTrail may be unable to deliver, or others may read or delete logs',
      properties: [],
    },
  ]);
  // The delete event really has no `new` state, as the engine sends it.
  const outputs = events.find((e) => e.resOutputsEvent?.metadata.type === bucketPolicy.type)?.resOutputsEvent;
  t.equal(outputs?.metadata.new, undefined);
});

t.test('bucket policy changed: critical', async (t) => {
  const loosened = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*' }],
  });
  const r = report(
    baselineRefresh([
      {
        state: bucketPolicy,
        op: 'update',
        read: {
          inputs: edit(bucketPolicy.inputs, { policy: loosened }),
          outputs: edit(bucketPolicy.outputs, { policy: loosened }),
        },
        diffs: ['policy'],
        detailedDiff: { policy: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.match(r.resources[0], { severity: 'critical', rule: 'bucket-policy-changed' });
  t.equal(r.resources[0]?.properties[0]?.actual, loosened);
});

t.test('bucket SSE changed to AES256: critical, nested path from detailedDiff', async (t) => {
  const rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: false }];
  const r = report(
    baselineRefresh([
      {
        state: bucketSse,
        op: 'update',
        read: { inputs: edit(bucketSse.inputs, { rules }), outputs: edit(bucketSse.outputs, { rules }) },
        diffs: ['rules'],
        detailedDiff: {
          'rules[0].applyServerSideEncryptionByDefault.sseAlgorithm': { diffKind: 'update', inputDiff: true },
          'rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId': {
            diffKind: 'delete',
            inputDiff: true,
          },
          'rules[0].bucketKeyEnabled': { diffKind: 'update', inputDiff: true },
        },
      },
    ]),
  );
  const props = r.resources[0]?.properties ?? [];
  t.same(
    props.map((p) => [p.path, p.expected, p.actual, p.severity]),
    [
      ['rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId', key.outputs['arn'], null, 'critical'],
      ['rules[0].applyServerSideEncryptionByDefault.sseAlgorithm', 'aws:kms', 'AES256', 'critical'],
      ['rules[0].bucketKeyEnabled', true, false, 'critical'],
    ],
  );
});

t.test('bucket SSE configuration deleted: critical', async (t) => {
  const r = report(baselineRefresh([{ state: bucketSse, op: 'delete' }]));
  t.match(r.resources[0], { operation: 'deleted', severity: 'critical', rule: 'bucket-sse-changed' });
});

t.test('KMS key disabled: critical', async (t) => {
  const r = report(
    baselineRefresh([
      {
        state: key,
        op: 'update',
        read: {
          inputs: edit(key.inputs, { isEnabled: false }),
          outputs: edit(key.outputs, { isEnabled: false }),
        },
        diffs: ['isEnabled'],
        detailedDiff: { isEnabled: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.equal(r.severity, 'critical');
  t.match(r.resources[0]?.properties[0], {
    path: 'isEnabled',
    expected: true,
    actual: false,
    rule: 'kms-key-disabled',
  });
});

t.test('KMS key scheduled for deletion: the provider reads it as gone -> deleted, critical', async (t) => {
  const r = report(baselineRefresh([{ state: key, op: 'delete' }]));
  t.equal(r.severity, 'critical');
  t.match(r.resources[0], {
    type: 'aws:kms/key:Key',
    name: 'log-key',
    id: key.id,
    operation: 'deleted',
    severity: 'critical',
    rule: 'kms-key-deleted',
  });
  t.match(r.resources[0]?.reason, /scheduled for deletion/);
});

t.test('KMS key deletion window changed: critical', async (t) => {
  const r = report(
    baselineRefresh([
      {
        state: key,
        op: 'update',
        read: {
          inputs: edit(key.inputs, { deletionWindowInDays: 7 }),
          outputs: edit(key.outputs, { deletionWindowInDays: 7 }),
        },
        detailedDiff: { deletionWindowInDays: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.match(r.resources[0]?.properties[0], {
    expected: 30,
    actual: 7,
    severity: 'critical',
    rule: 'kms-key-deletion-scheduled',
  });
});

t.test('event selectors narrowed (no detailedDiff: deep compare of the read state)', async (t) => {
  // One field selector removed from the S3 data selector: the selector's list gets shorter.
  const narrowed = structuredClone(SELECTORS);
  narrowed[1]!.fieldSelectors.pop();
  const r = report(
    baselineRefresh([
      {
        state: trail,
        op: 'update',
        read: {
          inputs: edit(trail.inputs, { advancedEventSelectors: narrowed }),
          outputs: edit(trail.outputs, { advancedEventSelectors: narrowed }),
        },
      },
    ]),
  );
  t.equal(r.severity, 'critical');
  t.same(r.resources[0]?.properties, [
    {
      path: 'advancedEventSelectors[1].fieldSelectors',
      change: 'changed',
      expected: SELECTORS[1]!.fieldSelectors,
      actual: narrowed[1]!.fieldSelectors,
      severity: 'critical',
      rule: 'trail-selectors-changed',
      reason: 'Trail event selectors changed: events the baseline records may no longer be logged',
    },
  ]);
});

t.test('event selectors narrowed (detailedDiff: a whole selector deleted)', async (t) => {
  const narrowed = [SELECTORS[0]!];
  const r = report(
    baselineRefresh([
      {
        state: trail,
        op: 'update',
        read: {
          inputs: edit(trail.inputs, { advancedEventSelectors: narrowed }),
          outputs: edit(trail.outputs, { advancedEventSelectors: narrowed }),
        },
        diffs: ['advancedEventSelectors'],
        detailedDiff: { 'advancedEventSelectors[1]': { diffKind: 'delete', inputDiff: true } },
      },
    ]),
  );
  t.match(r.resources[0]?.properties[0], {
    path: 'advancedEventSelectors[1]',
    change: 'removed',
    expected: SELECTORS[1],
    actual: null,
    severity: 'critical',
  });
});

t.test('multi-region and global service events switched off: critical; switched on: low', async (t) => {
  const off = report(
    baselineRefresh([
      {
        state: trail,
        op: 'update',
        read: {
          inputs: edit(trail.inputs, { isMultiRegionTrail: false, includeGlobalServiceEvents: false }),
          outputs: edit(trail.outputs, { isMultiRegionTrail: false, includeGlobalServiceEvents: false }),
        },
        detailedDiff: {
          isMultiRegionTrail: { diffKind: 'update', inputDiff: true },
          includeGlobalServiceEvents: { diffKind: 'update', inputDiff: true },
        },
      },
    ]),
  );
  t.same(
    off.resources[0]?.properties.map((p) => [p.path, p.severity, p.rule]),
    [
      ['includeGlobalServiceEvents', 'critical', 'trail-global-events-off'],
      ['isMultiRegionTrail', 'critical', 'trail-multi-region-off'],
    ],
  );
  const single = {
    ...trail,
    inputs: edit(trail.inputs, { isMultiRegionTrail: false }),
    outputs: edit(trail.outputs, { isMultiRegionTrail: false }),
  };
  const on = report(
    refreshPreviewEvents([
      {
        state: single,
        op: 'update',
        read: { inputs: trail.inputs, outputs: trail.outputs },
        detailedDiff: { isMultiRegionTrail: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.equal(on.resources[0]?.severity, 'low');
});

t.test('public access block loosened: critical', async (t) => {
  const r = report(
    baselineRefresh([
      {
        state: publicAccessBlock,
        op: 'update',
        read: {
          inputs: edit(publicAccessBlock.inputs, { blockPublicPolicy: false }),
          outputs: edit(publicAccessBlock.outputs, { blockPublicPolicy: false }),
        },
        detailedDiff: { blockPublicPolicy: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.match(r.resources[0], { severity: 'critical', rule: 'public-access-block-loosened' });
});

t.test('tags changed: low (tags and tagsAll, nested and quoted keys)', async (t) => {
  const tags = { env: 'dev', 'trailwarden:managed-by': 'someone-else' };
  const r = report(
    baselineRefresh([
      {
        state: bucket,
        op: 'update',
        read: {
          inputs: edit(bucket.inputs, { tags }),
          outputs: edit(bucket.outputs, { tags, tagsAll: tags }),
        },
      },
    ]),
  );
  t.equal(r.severity, 'low');
  t.same(r.counts, { critical: 0, high: 0, low: 1 });
  t.same(
    r.resources[0]?.properties.map((p) => [p.path, p.expected, p.actual, p.severity, p.rule]),
    [
      ['tags.env', 'prod', 'dev', 'low', 'tags'],
      ['tags["trailwarden:managed-by"]', 'trailwarden', 'someone-else', 'low', 'tags'],
      ['tagsAll.env', 'prod', 'dev', 'low', 'tags'],
      ['tagsAll["trailwarden:managed-by"]', 'trailwarden', 'someone-else', 'low', 'tags'],
    ],
  );
});

t.test('tags on the trail stay low while the trail rules are critical', async (t) => {
  const r = report(
    baselineRefresh([
      {
        state: trail,
        op: 'update',
        read: {
          inputs: edit(trail.inputs, { 'tags.env': 'dev' }),
          outputs: edit(trail.outputs, { 'tags.env': 'dev' }),
        },
        detailedDiff: { 'tags.env': { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.match(r.resources[0], { severity: 'low', rule: 'tags' });
});

t.test('log group and metric filter deleted: high', async (t) => {
  const r = report(
    baselineRefresh([
      { state: logGroup, op: 'delete' },
      { state: metricFilter, op: 'delete' },
    ]),
  );
  t.equal(r.severity, 'high');
  t.same(r.counts, { critical: 0, high: 2, low: 0 });
  t.same(
    r.resources.map((x) => [x.name, x.operation, x.severity, x.rule]),
    [
      ['trail-logs', 'deleted', 'high', 'log-group-deleted'],
      ['root-usage', 'deleted', 'high', 'metric-filter-deleted'],
    ],
  );
});

t.test(
  'several drifts: highest severity wins, resources ordered by severity, counts per resource',
  async (t) => {
    const tags = { env: 'dev' };
    const r = report(
      baselineRefresh([
        {
          state: bucket,
          op: 'update',
          read: { inputs: edit(bucket.inputs, { tags }), outputs: edit(bucket.outputs, { tags }) },
        },
        { state: logGroup, op: 'delete' },
        { state: key, op: 'delete' },
        {
          state: trail,
          op: 'update',
          read: {
            inputs: edit(trail.inputs, { enableLogging: false, 'tags.env': 'dev' }),
            outputs: edit(trail.outputs, { enableLogging: false, 'tags.env': 'dev' }),
          },
          detailedDiff: {
            'tags.env': { diffKind: 'update', inputDiff: true },
            enableLogging: { diffKind: 'update', inputDiff: true },
          },
        },
      ]),
    );
    t.equal(r.severity, 'critical');
    t.same(r.counts, { critical: 2, high: 1, low: 1 });
    t.same(
      r.resources.map((x) => [x.type, x.severity]),
      [
        ['aws:cloudtrail/trail:Trail', 'critical'],
        ['aws:kms/key:Key', 'critical'],
        ['aws:cloudwatch/logGroup:LogGroup', 'high'],
        ['aws:s3/bucket:Bucket', 'low'],
      ],
    );
    // The trail carries both properties; its severity and rule are the worst of them.
    t.match(r.resources[0], { rule: 'trail-logging-stopped' });
    t.same(
      r.resources[0]?.properties.map((p) => [p.path, p.severity]),
      [
        ['enableLogging', 'critical'],
        ['tags.env', 'low'],
      ],
    );
  },
);

t.test('provider, component and stack resources are ignored', async (t) => {
  const stackState = { ...componentState, type: 'pulumi:pulumi:Stack', name: 'trailwarden-acct' };
  const events = refreshPreviewEvents([
    {
      state: providerState,
      op: 'update',
      read: {
        inputs: { region: 'us-east-1', version: '7.48.0' },
        outputs: { region: 'us-east-1', version: '7.48.0' },
      },
      diffs: ['region'],
      detailedDiff: { region: { diffKind: 'update', inputDiff: true } },
    },
    { state: componentState, op: 'update', read: { inputs: {}, outputs: { bucketName: 'other' } } },
    { state: providerState, op: 'delete' },
    { state: stackState, op: 'update', read: { inputs: {}, outputs: { x: 1 } } },
  ]);
  // The fixture really produced outputs events for them.
  t.ok(events.some((e) => e.resOutputsEvent?.metadata.type === 'pulumi:providers:aws'));
  t.ok(events.some((e) => e.resOutputsEvent?.metadata.type === COMPONENT_TYPE));
  const r = report(events);
  t.equal(r.clean, true);
  t.same(r.resources, []);
});

t.test('a resource the refresh could not read is unverified, and the report is not clean', async (t) => {
  for (const mode of ['preview', 'update'] as const) {
    const events = baselineRefresh([{ state: trail, op: 'same', failed: mode }]);
    t.equal(events.filter((e) => e.resOpFailedEvent).length, mode === 'update' ? 1 : 0);
    t.equal(events.filter((e) => e.resOutputsEvent?.metadata.type === trail.type).length, 0);
    const r = report(events);
    t.equal(r.clean, false, mode);
    t.equal(r.severity, null);
    t.same(r.resources, []);
    t.same(r.unverified, [
      {
        urn: urnOf('aws:cloudtrail/trail:Trail', 'trail'),
        type: 'aws:cloudtrail/trail:Trail',
        name: 'trail',
      },
    ]);
  }
  // Errors without a URN, on a provider, and warnings do not make anything unverified.
  const other = baselineRefresh();
  other.push(
    { sequence: 900, timestamp: 1, diagnosticEvent: { message: 'x', color: 'never', severity: 'error' } },
    {
      sequence: 901,
      timestamp: 1,
      diagnosticEvent: {
        urn: 'urn:pulumi:s::p::pulumi:providers:aws::default',
        message: 'x',
        color: 'never',
        severity: 'error',
      },
    },
    {
      sequence: 902,
      timestamp: 1,
      diagnosticEvent: {
        urn: urnOf('aws:kms/key:Key', 'log-key'),
        message: 'x',
        color: 'never',
        severity: 'warning',
      },
    },
  );
  t.equal(report(other).clean, true);
});

t.test('deep compare ignores __ keys, secret and unknown markers; detailedDiff masks secrets', async (t) => {
  const secretState = {
    ...trail,
    inputs: { ...trail.inputs, cloudWatchLogsRoleArn: SECRET },
    outputs: { ...trail.outputs, cloudWatchLogsRoleArn: SECRET, homeRegion: UNKNOWN_STRING },
  };
  // Only internal keys and opaque values differ: no drift found in the values.
  const quiet = report(
    refreshPreviewEvents([
      {
        state: secretState,
        op: 'update',
        read: {
          inputs: { ...secretState.inputs, __defaults: ['name'], cloudWatchLogsRoleArn: { ...SECRET } },
          outputs: { ...secretState.outputs, __meta: '{"schema_version":"1"}', homeRegion: 'eu-west-1' },
        },
      },
    ]),
  );
  // The engine still said "update": the resource is reported, classified as a whole (no path).
  t.equal(quiet.resources.length, 1);
  t.same(quiet.resources[0]?.properties, []);
  t.equal(quiet.resources[0]?.severity, 'low');

  // With the engine naming the secret property, it is reported, masked.
  const named = report(
    refreshPreviewEvents([
      {
        state: secretState,
        op: 'update',
        read: { inputs: secretState.inputs, outputs: secretState.outputs },
        detailedDiff: { cloudWatchLogsRoleArn: { diffKind: 'update', inputDiff: true } },
      },
    ]),
  );
  t.match(named.resources[0]?.properties[0], {
    path: 'cloudWatchLogsRoleArn',
    expected: '[secret]',
    actual: '[secret]',
    severity: 'high',
  });
  t.notMatch(JSON.stringify(named), /ciphertext|4dabf18193072939515e22adb298388d/);

  // diffs without detailedDiff: the key is reported even though the values cannot show it.
  const keyed = report(
    refreshPreviewEvents([
      {
        state: secretState,
        op: 'update',
        read: { inputs: secretState.inputs, outputs: secretState.outputs },
        diffs: ['cloudWatchLogsRoleArn'],
      },
    ]),
  );
  t.same(
    keyed.resources[0]?.properties.map((p) => [p.path, p.actual, p.severity]),
    [['cloudWatchLogsRoleArn', '[secret]', 'high']],
  );
});

t.test('older engines: outputs event with op "refresh"', async (t) => {
  const legacy = refreshPreviewEvents([
    { state: bucket, op: 'refresh' }, // same state: nothing to report
    {
      state: key,
      op: 'refresh',
      read: {
        inputs: edit(key.inputs, { isEnabled: false }),
        outputs: edit(key.outputs, { isEnabled: false }),
      },
    },
  ]);
  const r = report(legacy);
  t.same(
    r.resources.map((x) => [x.name, x.operation, x.severity]),
    [['log-key', 'modified', 'critical']],
  );
  // A refresh outputs event without `new`: deleted.
  const gone = refreshPreviewEvents([{ state: bucketPolicy, op: 'refresh' }]);
  const ev = gone.find((e) => e.resOutputsEvent)!.resOutputsEvent!;
  delete ev.metadata.new;
  t.match(report(gone).resources[0], { operation: 'deleted', severity: 'critical' });
});

t.test('the last outcome per URN counts (a "same" after an "update" clears it)', async (t) => {
  const drift = baselineRefresh([{ state: logGroup, op: 'delete' }]);
  const again = refreshPreviewEvents([{ state: logGroup, op: 'same' }]);
  t.equal(report(drift).clean, false);
  t.equal(report([...drift, ...again]).clean, true);
});

t.test('input-only differences complete the output diff without duplicating it', async (t) => {
  const diffs = propertyDiffs({
    op: 'update',
    urn: 'urn:pulumi:s::p::aws:kms/key:Key::k',
    type: 'aws:kms/key:Key',
    provider: '',
    old: {
      type: 'aws:kms/key:Key',
      urn: 'u',
      id: 'k',
      parent: '',
      provider: '',
      inputs: { isEnabled: true, description: 'a' },
      outputs: { isEnabled: true },
    },
    new: {
      type: 'aws:kms/key:Key',
      urn: 'u',
      id: 'k',
      parent: '',
      provider: '',
      inputs: { isEnabled: false, description: 'b' },
      outputs: { isEnabled: false },
    },
  });
  t.same(diffs, [
    { path: 'description', expected: 'a', actual: 'b' },
    { path: 'isEnabled', expected: true, actual: false },
  ]);
});

t.test('property paths', async (t) => {
  const cases: [string, (string | number)[]][] = [
    ['enableLogging', ['enableLogging']],
    ['tags.env', ['tags', 'env']],
    ['advancedEventSelectors[0].fieldSelectors', ['advancedEventSelectors', 0, 'fieldSelectors']],
    ['tags["trailwarden:managed-by"]', ['tags', 'trailwarden:managed-by']],
    ['tags["a.b"].c[12]', ['tags', 'a.b', 'c', 12]],
    ['m["q\\"uote"]', ['m', 'q"uote']],
  ];
  for (const [text, segs] of cases) {
    t.same(parsePath(text), segs, `parse ${text}`);
    t.equal(formatPath(segs), text, `format ${text}`);
  }
  t.throws(() => parsePath('tags["open'));
});

t.test('deepDiff', async (t) => {
  t.same(deepDiff({ a: 1, b: null }, { a: 1 }), [], 'null and absent are the same');
  t.same(deepDiff({ a: [1, 2] }, { a: [1, 3] }), [{ path: 'a[1]', expected: 2, actual: 3 }]);
  t.same(deepDiff({ a: [1, 2] }, { a: [1] }), [{ path: 'a', expected: [1, 2], actual: [1] }]);
  t.same(deepDiff({ a: { b: 1 } }, {}), [{ path: 'a', expected: { b: 1 }, actual: undefined }]);
  t.same(deepDiff({ a: 'x' }, { a: UNKNOWN_STRING }), []);
  t.same(deepDiff({ a: SECRET }, { a: 'plain' }), []);
  t.same(deepDiff({ __x: 1, a: { __y: 1 } }, { __x: 2, a: { __y: 2 } }), []);
  t.same(deepDiff({ a: [SECRET, 1] }, { a: ['s', 1, 2] }), [
    { path: 'a', expected: [SECRET, 1], actual: ['s', 1, 2] },
  ]);
});

t.test('logical name and type from the URN', async (t) => {
  t.equal(typeFromUrn(urnOf('aws:kms/key:Key', 'log-key')), 'aws:kms/key:Key');
  t.equal(typeFromUrn('urn:pulumi:s::p::pulumi:providers:aws::default'), 'pulumi:providers:aws');
  t.equal(typeFromUrn('nope'), '');
  t.equal(nameFromUrn(urnOf('aws:kms/key:Key', 'log-key')), 'log-key');
  t.equal(nameFromUrn('urn:pulumi:s::p::a:b:C::name::with::colons'), 'name::with::colons');
  t.equal(nameFromUrn('not-a-urn'), 'not-a-urn');
});
