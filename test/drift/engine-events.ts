// Synthetic engine events shaped like the ones the Automation API hands to onEvent during a
// refresh preview (`stack.previewRefresh({ onEvent })`): a prelude, then per resource a
// resourcePreEvent with op "refresh" (old === new, no diff yet) and a resOutputsEvent whose op is
// the refresh result ("same" | "update" | "delete") with old = recorded state, new = what the
// provider read (absent when the resource is gone), diffs/detailedDiff from the provider's diff
// inverted to read state -> cloud; then a summary. Secrets arrive blinded as
// { <sigkey>: <secretsig>, ciphertext: "[secret]" }.
import type {
  EngineEvent,
  OpType,
  PropertyDiff,
  StepEventMetadata,
  StepEventStateMetadata,
} from '@pulumi/pulumi/automation/index.js';

export const STACK = 'acct-123456789012';
export const PROJECT = 'trailwarden';
export const PROVIDER_URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi:providers:aws::default_7_48_0`;
export const PROVIDER_REF = `${PROVIDER_URN}::4a1c2f1e-0000-4000-8000-000000000001`;
export const COMPONENT_TYPE = 'trailwarden:index:Baseline';
export const COMPONENT_URN = `urn:pulumi:${STACK}::${PROJECT}::${COMPONENT_TYPE}::baseline`;

export const SECRET = {
  '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
  ciphertext: '[secret]',
};
export const UNKNOWN_STRING = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export function urnOf(type: string, name: string, parentType = COMPONENT_TYPE): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${parentType}$${type}::${name}`;
}

export interface ResourceState {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  custom?: boolean;
  parent?: string;
  provider?: string;
}

function stateMeta(r: ResourceState, urn: string): StepEventStateMetadata {
  return {
    type: r.type,
    urn,
    custom: r.custom ?? true,
    id: r.id,
    parent: r.parent ?? COMPONENT_URN,
    provider: r.provider ?? PROVIDER_REF,
    inputs: structuredClone(r.inputs),
    outputs: structuredClone(r.outputs),
  };
}

export interface RefreshStep {
  state: ResourceState;
  /** Result op of the refresh. */
  op: Extract<OpType, 'same' | 'update' | 'delete' | 'refresh'>;
  /** What the provider read; defaults to the state (a "same"). Ignored for "delete". */
  read?: { inputs: Record<string, unknown>; outputs: Record<string, unknown>; id?: string };
  diffs?: string[];
  detailedDiff?: Record<string, { diffKind: PropertyDiff['diffKind'] | string; inputDiff: boolean }>;
  /**
   * The read failed (AccessDenied...). 'preview': an error diagnostic on the URN and no outputs
   * event (what a refresh preview emits); 'update': a resOpFailedEvent (what a refresh emits).
   */
  failed?: 'preview' | 'update';
}

/** Applies edits to a copy of a property map: `{ 'tags.env': 'dev' }`, `{ enableLogging: false }`, undefined deletes. */
export function edit(
  map: Record<string, unknown>,
  changes: Record<string, unknown>,
): Record<string, unknown> {
  const copy = structuredClone(map);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    let cur: Record<string, unknown> = copy;
    for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
    const last = keys[keys.length - 1]!;
    if (value === undefined) delete cur[last];
    else cur[last] = value;
  }
  return copy;
}

export function refreshPreviewEvents(steps: readonly RefreshStep[]): EngineEvent[] {
  const events: EngineEvent[] = [];
  let sequence = 0;
  const ts = 1_790_000_000;
  const push = (e: Omit<EngineEvent, 'sequence' | 'timestamp'>) =>
    events.push({ sequence: sequence++, timestamp: ts + sequence, ...e } as EngineEvent);

  push({ preludeEvent: { config: { 'aws:region': 'eu-west-1' } } });
  const changes: Record<string, number> = {};
  for (const s of steps) {
    const urn = s.state.type.startsWith('pulumi:providers:')
      ? `urn:pulumi:${STACK}::${PROJECT}::${s.state.type}::${s.state.name}`
      : s.state.type === COMPONENT_TYPE
        ? COMPONENT_URN
        : urnOf(s.state.type, s.state.name);
    const old = stateMeta(s.state, urn);
    const pre: StepEventMetadata = {
      op: 'refresh',
      urn,
      type: s.state.type,
      old,
      new: structuredClone(old),
      provider: old.provider,
    };
    push({ resourcePreEvent: { metadata: pre, planning: true } });

    if (s.failed) {
      push({
        diagnosticEvent: {
          urn,
          message: 'reading CloudTrail Trail: AccessDeniedException',
          color: 'never',
          severity: 'error',
        },
      });
      if (s.failed === 'update') push({ resOpFailedEvent: { metadata: pre, status: 1, steps: 0 } });
      continue;
    }

    const meta: StepEventMetadata = { op: s.op, urn, type: s.state.type, old, provider: old.provider };
    if (s.op !== 'delete') {
      const read = s.read ?? { inputs: s.state.inputs, outputs: s.state.outputs };
      meta.new = {
        ...stateMeta(
          { ...s.state, inputs: read.inputs, outputs: read.outputs, id: read.id ?? s.state.id },
          urn,
        ),
      };
    }
    if (s.diffs) meta.diffs = s.diffs;
    if (s.detailedDiff) meta.detailedDiff = s.detailedDiff as StepEventMetadata['detailedDiff'];
    push({ resOutputsEvent: { metadata: meta, planning: true } });
    changes[s.op] = (changes[s.op] ?? 0) + 1;
  }
  push({
    summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: changes, policyPacks: {} },
  });
  push({ cancelEvent: {} });
  return events;
}

// ---- a realistic baseline's recorded state -----------------------------------------------------

const ACCOUNT = '123456789012';
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0f9e8d7c-1111-4222-8333-444455556666`;
const BUCKET = `trailwarden-${ACCOUNT}-eu-west-1`;
const TAGS = { env: 'prod', 'trailwarden:managed-by': 'trailwarden' };

export const SELECTORS = [
  {
    name: 'Management events',
    fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }],
  },
  {
    name: 'S3 data events',
    fieldSelectors: [
      { field: 'eventCategory', equals: ['Data'] },
      { field: 'resources.type', equals: ['AWS::S3::Object'] },
    ],
  },
];

const trailInputs = {
  __defaults: [],
  name: 'trailwarden',
  s3BucketName: BUCKET,
  enableLogging: true,
  enableLogFileValidation: true,
  isMultiRegionTrail: true,
  includeGlobalServiceEvents: true,
  isOrganizationTrail: false,
  kmsKeyId: KEY_ARN,
  advancedEventSelectors: SELECTORS,
  tags: TAGS,
};

export const trail: ResourceState = {
  type: 'aws:cloudtrail/trail:Trail',
  name: 'trail',
  id: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/trailwarden`,
  inputs: trailInputs,
  outputs: {
    ...Object.fromEntries(Object.entries(trailInputs).filter(([k]) => k !== '__defaults')),
    arn: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/trailwarden`,
    homeRegion: 'eu-west-1',
    id: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/trailwarden`,
    region: 'eu-west-1',
    snsTopicArn: '',
    eventSelectors: [],
    insightSelectors: [],
    tagsAll: TAGS,
    __meta: '{"schema_version":"0"}',
  },
};

export const bucket: ResourceState = {
  type: 'aws:s3/bucket:Bucket',
  name: 'log-bucket',
  id: BUCKET,
  inputs: { __defaults: [], bucket: BUCKET, forceDestroy: false, objectLockEnabled: true, tags: TAGS },
  outputs: {
    bucket: BUCKET,
    arn: `arn:aws:s3:::${BUCKET}`,
    forceDestroy: false,
    objectLockEnabled: true,
    tags: TAGS,
    tagsAll: TAGS,
  },
};

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AWSCloudTrailWrite',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${BUCKET}/AWSLogs/${ACCOUNT}/*`,
    },
  ],
});

export const bucketPolicy: ResourceState = {
  type: 'aws:s3/bucketPolicy:BucketPolicy',
  name: 'log-bucket-policy',
  id: BUCKET,
  inputs: { __defaults: [], bucket: BUCKET, policy: POLICY },
  outputs: { bucket: BUCKET, policy: POLICY, id: BUCKET },
};

export const bucketSse: ResourceState = {
  type: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  name: 'log-bucket-sse',
  id: BUCKET,
  inputs: {
    __defaults: [],
    bucket: BUCKET,
    rules: [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: KEY_ARN },
        bucketKeyEnabled: true,
      },
    ],
  },
  outputs: {
    bucket: BUCKET,
    expectedBucketOwner: '',
    rules: [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: KEY_ARN },
        bucketKeyEnabled: true,
      },
    ],
  },
};

export const publicAccessBlock: ResourceState = {
  type: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  name: 'log-bucket-pab',
  id: BUCKET,
  inputs: {
    __defaults: [],
    bucket: BUCKET,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  },
  outputs: {
    bucket: BUCKET,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  },
};

export const key: ResourceState = {
  type: 'aws:kms/key:Key',
  name: 'log-key',
  id: '0f9e8d7c-1111-4222-8333-444455556666',
  inputs: {
    __defaults: ['bypassPolicyLockoutSafetyCheck'],
    description: 'Trailwarden CloudTrail logs',
    deletionWindowInDays: 30,
    enableKeyRotation: true,
    isEnabled: true,
    policy: POLICY,
    tags: TAGS,
  },
  outputs: {
    arn: KEY_ARN,
    keyId: '0f9e8d7c-1111-4222-8333-444455556666',
    description: 'Trailwarden CloudTrail logs',
    deletionWindowInDays: 30,
    enableKeyRotation: true,
    isEnabled: true,
    keyUsage: 'ENCRYPT_DECRYPT',
    policy: POLICY,
    tags: TAGS,
    tagsAll: TAGS,
  },
};

export const logGroup: ResourceState = {
  type: 'aws:cloudwatch/logGroup:LogGroup',
  name: 'trail-logs',
  id: '/aws/cloudtrail/trailwarden',
  inputs: { __defaults: [], name: '/aws/cloudtrail/trailwarden', retentionInDays: 90, kmsKeyId: KEY_ARN },
  outputs: {
    arn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/cloudtrail/trailwarden`,
    name: '/aws/cloudtrail/trailwarden',
    retentionInDays: 90,
    kmsKeyId: KEY_ARN,
  },
};

export const metricFilter: ResourceState = {
  type: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  name: 'root-usage',
  id: 'trailwarden-root-usage',
  inputs: {
    __defaults: [],
    logGroupName: '/aws/cloudtrail/trailwarden',
    pattern: '{ $.userIdentity.type = "Root" }',
    metricTransformation: { name: 'RootUsage', namespace: 'Trailwarden', value: '1' },
  },
  outputs: {
    logGroupName: '/aws/cloudtrail/trailwarden',
    pattern: '{ $.userIdentity.type = "Root" }',
    metricTransformation: { name: 'RootUsage', namespace: 'Trailwarden', value: '1' },
  },
};

export const providerState: ResourceState = {
  type: 'pulumi:providers:aws',
  name: 'default_7_48_0',
  id: '4a1c2f1e-0000-4000-8000-000000000001',
  inputs: { region: 'eu-west-1', version: '7.48.0' },
  outputs: { region: 'eu-west-1', version: '7.48.0' },
  parent: '',
  provider: '',
};

export const componentState: ResourceState = {
  type: COMPONENT_TYPE,
  name: 'baseline',
  id: '',
  inputs: {},
  outputs: { bucketName: BUCKET },
  custom: false,
  provider: '',
};

export const BASELINE: readonly ResourceState[] = [
  trail,
  bucket,
  bucketPolicy,
  bucketSse,
  publicAccessBlock,
  key,
  logGroup,
  metricFilter,
];

/** A refresh preview of the whole baseline where nothing drifted, except the given steps. */
export function baselineRefresh(overrides: readonly RefreshStep[] = []): EngineEvent[] {
  const byName = new Map(overrides.map((o) => [o.state.name, o]));
  const steps: RefreshStep[] = [
    { state: providerState, op: 'same' },
    { state: componentState, op: 'same' },
    ...BASELINE.map((s) => byName.get(s.name) ?? { state: s, op: 'same' as const }),
    ...overrides.filter((o) => !BASELINE.some((b) => b.name === o.state.name)),
  ];
  return refreshPreviewEvents(steps);
}
