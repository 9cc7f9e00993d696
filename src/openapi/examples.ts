// Hand-written examples of the success answers the example builder in contract.ts cannot derive from
// their schemas (nested referenced schemas, cross-field shapes). Each one is a real answer's shape:
// test/contract/operations.test.ts validates every 2xx example of the document against its schema.
const ACCOUNT = '123456789012';
const OP = '0f8fad5b-d9cb-469f-a165-70867728950e';
const PREVIEW = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const REPORT = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const URN = `urn:pulumi:${ACCOUNT}::trailwarden::trailwarden:baseline:AccountTrailBaseline$trailwarden:trail:AccountTrail$aws:cloudtrail/trail:Trail::baseline-trail`;
const TOPIC_URN = `urn:pulumi:${ACCOUNT}::trailwarden::trailwarden:baseline:AccountTrailBaseline$trailwarden:alarms:AlarmSet$aws:sns/topic:Topic::baseline-alarms-topic`;

function operation(over: Record<string, unknown>): Record<string, unknown> {
  return {
    id: OP,
    accountId: ACCOUNT,
    kind: 'apply',
    state: 'succeeded',
    specVersion: 3,
    retryOf: null,
    createdAt: '2026-11-30T03:00:00.000Z',
    startedAt: '2026-11-30T03:00:01.000Z',
    finishedAt: '2026-11-30T03:01:12.000Z',
    durationMs: 71000,
    changeSummary: { update: 1, same: 43 },
    outputs: null,
    error: null,
    cancelRequested: false,
    requestedBy: 'user:alice',
    approvedBy: null,
    links: { self: `/v1/operations/${OP}`, events: `/v1/operations/${OP}/events` },
    ...over,
  };
}

/** GET /v1/accounts/{accountId}/drift-reports: one report, the trail's logging switched off. */
export const DRIFT_REPORTS_EXAMPLE = {
  items: [
    {
      id: REPORT,
      accountId: ACCOUNT,
      operationId: OP,
      checkedAt: '2026-11-30T03:15:00.000Z',
      clean: false,
      severity: 'critical',
      counts: { critical: 1, high: 0, low: 0 },
      resources: [
        {
          urn: URN,
          type: 'aws:cloudtrail/trail:Trail',
          name: 'baseline-trail',
          id: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/trailwarden-${ACCOUNT}`,
          operation: 'modified',
          severity: 'critical',
          rule: 'trail-logging-stopped',
          reason: 'Trail logging stopped (StopLogging)',
          properties: [
            {
              path: 'enableLogging',
              change: 'changed',
              expected: true,
              actual: false,
              severity: 'critical',
              rule: 'trail-logging-stopped',
              reason: 'Trail logging stopped (StopLogging)',
            },
          ],
        },
      ],
      unverified: [],
      findings: [
        {
          id: 'alarm-topic-unsubscribed',
          severity: 'high',
          reason: 'Nobody receives the alarms: the alarm topic has no confirmed subscription',
          urn: TOPIC_URN,
        },
      ],
      alarmDelivery: {
        topicUrn: TOPIC_URN,
        unconfirmedTopics: [{ urn: TOPIC_URN, region: 'eu-west-1', count: 1 }],
        subscriptions: [
          {
            urn: `${TOPIC_URN}-sub-0`,
            protocol: 'email',
            endpoint: 'secops@example.com',
            pendingConfirmation: true,
            region: 'eu-west-1',
          },
        ],
      },
      links: { operation: `/v1/operations/${OP}` },
    },
  ],
  nextCursor: null,
};

/** GET /v1/approvals: an apply that turns off a data event scope, waiting for a second person. */
export const APPROVALS_EXAMPLE = {
  items: [
    {
      operation: operation({
        state: 'pending-approval',
        specVersion: 4,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        changeSummary: null,
        requestedByName: 'Alice',
        previewId: PREVIEW,
      }),
      requestedBy: 'user:alice',
      requestedByName: 'Alice',
      appliedVersion: 3,
      diff: [{ path: '/dataEvents/s3', before: 'all', after: null }],
      reasons: ['/dataEvents/s3: removes S3 data events (weakens the evidence of object access)'],
      preview: operation({
        id: PREVIEW,
        kind: 'preview',
        specVersion: 4,
        changeSummary: { update: 1, same: 43 },
        links: { self: `/v1/operations/${PREVIEW}`, events: `/v1/operations/${PREVIEW}/events` },
      }),
    },
  ],
};

/** GET /v1/operations/{operationId}/plan: a preview that changes the trail's event selectors. */
export const PLAN_EXAMPLE = {
  operationId: PREVIEW,
  accountId: ACCOUNT,
  kind: 'preview',
  state: 'succeeded',
  specVersion: 4,
  counts: { create: 0, update: 1, replace: 0, delete: 0, same: 43 },
  groups: [
    {
      key: 'trail:eu-west-1',
      title: 'Trail in eu-west-1',
      region: 'eu-west-1',
      counts: { create: 0, update: 1, replace: 0, delete: 0, same: 0 },
      resources: [
        {
          urn: URN,
          type: 'aws:cloudtrail/trail:Trail',
          name: 'baseline-trail',
          change: 'update',
          properties: [
            {
              path: 'advancedEventSelectors[1]',
              kind: 'delete',
              replaces: false,
              old: { name: 'S3 data events' },
              new: null,
            },
          ],
        },
      ],
    },
  ],
  approval: { required: true, reasons: ['/dataEvents/s3: removes S3 data events'] },
  costs: [{ item: 'insights', detail: 'CloudTrail Insights is billed per 100,000 events analysed' }],
};
