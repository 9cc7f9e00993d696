// The approval policy: what waits for an approver, what "only strengthens" means, who may approve.
import t from 'tap';
import { canApprove, needsApproval, onlyStrengthens, weakeningChanges } from '../../src/auth/approval.ts';
import type { ApprovalConfig } from '../../src/auth/config.ts';
import type { Principal } from '../../src/auth/principal.ts';
import { resolveTrailRequest } from '../../src/trail-request/resolve.ts';
import type { ResolvedTrailRequest } from '../../src/trail-request/schema.ts';

const BASE = resolveTrailRequest({
  homeRegion: 'eu-west-1',
  regions: ['eu-west-1', 'eu-central-1'],
  dataEvents: [{ kind: 's3-object', resources: ['arn:aws:s3:::bucket-a/'], access: 'write-only' }],
  insights: ['ApiCallRateInsight'],
  alarms: { set: 'essentials', notify: { emails: ['sec@example.com'] } },
  retention: { expireAfterDays: 400, cloudWatchLogsDays: 90, archiveAfterDays: 90 },
  securityReaders: ['arn:aws:iam::123456789012:role/Auditor'],
  tags: { team: 'security' },
});
const spec = (patch: (s: ResolvedTrailRequest) => void): ResolvedTrailRequest => {
  const s = structuredClone(BASE);
  patch(s);
  return s;
};

const ON: ApprovalConfig = { required: true, adminBypass: true, strengtheningBypass: true };
const requester: Principal = {
  id: 'oidc:rita',
  kind: 'oidc',
  name: 'rita',
  roles: ['requester'],
  accounts: ['111111111111'],
};
const admin: Principal = { id: 'oidc:ada', kind: 'oidc', name: 'ada', roles: ['admin'], accounts: [] };

t.test('what only strengthens', async (t) => {
  const strengthening: [string, ResolvedTrailRequest][] = [
    ['nothing changed', spec(() => {})],
    ['a region added', spec((s) => (s.regions = ['eu-west-1', 'eu-central-1', 'us-east-1']))],
    ['all regions', spec((s) => (s.regions = 'all'))],
    ['a data event scope added', spec((s) => s.dataEvents.push({ kind: 'lambda', resources: 'all' }))],
    [
      'a data event scope widened',
      spec((s) => (s.dataEvents = [{ kind: 's3-object', resources: 'all', access: 'all' }])),
    ],
    ['insights added', spec((s) => (s.insights = ['ApiCallRateInsight', 'ApiErrorRateInsight']))],
    ['recipients reordered', spec((s) => (s.alarms.notify.emails = ['sec@example.com']))],
    ['longer expiry', spec((s) => (s.retention.expireAfterDays = 2557))],
    ['longer CloudWatch retention', spec((s) => (s.retention.cloudWatchLogsDays = 365))],
    ['object lock added', spec((s) => (s.objectLock = { mode: 'GOVERNANCE', days: 365 }))],
    ['reordered lists', spec((s) => (s.regions = ['eu-central-1', 'eu-west-1']))],
  ];
  for (const [name, next] of strengthening) t.same(weakeningChanges(BASE, next), [], name);

  const weakening: [string, ResolvedTrailRequest, string[]][] = [
    ['a region removed', spec((s) => (s.regions = ['eu-west-1'])), ['regions']],
    ['a data event scope removed', spec((s) => (s.dataEvents = [])), ['dataEvents']],
    ['a data event scope narrowed', spec((s) => (s.dataEvents[0]!.access = 'read-only')), ['dataEvents']],
    ['insights removed', spec((s) => (s.insights = [])), ['insights']],
    // A new recipient gets what the alarms say about the account: an approver decides.
    [
      'an external email recipient added',
      spec((s) => s.alarms.notify.emails.push('soc@example.com')),
      ['alarms.notify.emails'],
    ],
    [
      'an https recipient added',
      spec((s) => s.alarms.notify.https.push('https://hooks.example.com/x')),
      ['alarms.notify.https'],
    ],
    [
      'a recipient replaced',
      spec((s) => (s.alarms.notify.emails = ['other@example.com'])),
      ['alarms.notify.emails'],
    ],
    ['another alarm set', spec((s) => (s.alarms.set = 'minimal')), ['alarms.set']],
    ['shorter expiry', spec((s) => (s.retention.expireAfterDays = 30)), ['retention.expireAfterDays']],
    ['archive changed', spec((s) => (s.retention.archiveAfterDays = 30)), ['retention.archiveAfterDays']],
    ['management reads off', spec((s) => (s.managementEvents.read = false)), ['managementEvents']],
    [
      'a reader added',
      spec((s) => s.securityReaders.push('arn:aws:iam::123456789012:role/X')),
      ['securityReaders'],
    ],
    ['tags changed', spec((s) => (s.tags = {})), ['tags']],
    ['home region moved', spec((s) => (s.homeRegion = 'us-east-1')), ['homeRegion']],
    ['organization trail', spec((s) => (s.organizationTrail = true)), ['organizationTrail']],
    [
      'several at once',
      spec((s) => {
        s.insights = [];
        s.tags = {};
      }),
      ['insights', 'tags'],
    ],
  ];
  for (const [name, next, fields] of weakening) t.same(weakeningChanges(BASE, next), fields, name);

  const locked = spec((s) => (s.objectLock = { mode: 'GOVERNANCE', days: 365 }));
  t.ok(
    onlyStrengthens(
      locked,
      spec((s) => (s.objectLock = { mode: 'COMPLIANCE', days: 400 })),
    ),
    'lock tightened',
  );
  t.notOk(
    onlyStrengthens(
      locked,
      spec(() => {}),
    ),
    'object lock removed',
  );
  t.notOk(
    onlyStrengthens(
      locked,
      spec((s) => (s.objectLock = { mode: 'GOVERNANCE', days: 30 })),
    ),
    'lock shortened',
  );
  const compliance = spec((s) => (s.objectLock = { mode: 'COMPLIANCE', days: 365 }));
  t.notOk(onlyStrengthens(compliance, locked), 'COMPLIANCE → GOVERNANCE');
  t.notOk(
    onlyStrengthens(
      spec((s) => (s.regions = 'all')),
      BASE,
    ),
    "'all' → a list of regions",
  );
  // An unknown future field counts as a change that needs approval.
  t.same(weakeningChanges(BASE, { ...BASE, futureField: 1 } as ResolvedTrailRequest), ['futureField']);
});

t.test('needsApproval', async (t) => {
  const weaker = spec((s) => (s.insights = []));
  const stronger = spec((s) => (s.regions = 'all'));
  const d = (over: Partial<Parameters<typeof needsApproval>[0]>) =>
    needsApproval({
      principal: requester,
      kind: 'apply',
      previousSpec: BASE,
      nextSpec: weaker,
      config: ON,
      ...over,
    });

  t.match(d({}), { required: true, reasons: ['changes insights'] }, 'requester weakening apply waits');
  t.same(d({ nextSpec: stronger }).required, false, 'a strengthening apply runs');
  t.same(
    d({ nextSpec: stronger, config: { ...ON, strengtheningBypass: false } }).required,
    true,
    'unless configured',
  );
  t.same(
    d({ nextSpec: BASE, config: { ...ON, strengtheningBypass: false } }),
    { required: false, reasons: ['re-applies the applied spec'] },
    'a re-apply of exactly the applied spec (remediation) was approved when it was applied',
  );
  t.same(d({ kind: 'destroy' }).required, true, 'a delete always waits');
  t.same(d({ kind: 'destroy', nextSpec: undefined }).reasons, ['decommissioning removes the trail']);
  t.same(
    d({ previousSpec: undefined, nextSpec: BASE }).required,
    true,
    'first apply: nothing to compare against',
  );
  t.same(d({ principal: admin }).required, false, 'admins skip');
  t.same(d({ principal: admin, kind: 'destroy' }).required, false, 'admins skip deletes too');
  t.same(d({ principal: admin, config: { ...ON, adminBypass: false } }).required, true, 'unless configured');
  t.same(d({ kind: 'preview' }).required, false, 'previews never wait');
  t.same(d({ kind: 'refresh-preview' }).required, false, 'drift checks never wait');
  t.same(d({ config: { ...ON, required: false } }).required, false, 'approvals off');
  const approver: Principal = { ...requester, roles: ['approver'] };
  t.same(d({ principal: approver }).required, true, 'an approver requesting still needs another approver');
});

t.test('canApprove', async (t) => {
  const approver: Principal = {
    id: 'oidc:alex',
    kind: 'oidc',
    name: 'alex',
    roles: ['approver'],
    accounts: ['group:prod'],
  };
  const groups = { prod: ['111111111111'] };
  const base = { approver, requestedBy: requester.id, accountId: '111111111111', accountGroups: groups };
  t.same(canApprove(base), { ok: true });
  t.match(
    canApprove({ ...base, approver: { ...requester } }),
    { ok: false, reason: /approver role/ },
    'a requester cannot approve',
  );
  t.match(
    canApprove({ ...base, approver: { ...approver, id: requester.id } }),
    { ok: false, reason: /own request/ },
    'the requester cannot approve their own request, even holding the approver role',
  );
  t.match(
    canApprove({ ...base, approver: { ...admin, id: 'oidc:ada' }, requestedBy: 'oidc:ada' }),
    { ok: false },
    'nor an admin',
  );
  t.match(
    canApprove({ ...base, accountId: '222222222222' }),
    { ok: false, reason: /not granted/ },
    'account outside scope',
  );
  t.same(canApprove({ ...base, approver: admin }), { ok: true }, 'an admin approves anywhere');
  // Four eyes compare principal subjects: tokens are their own principals, whoever created them.
  const ritasToken: Principal = {
    id: 'svc:0123456789abcdef',
    kind: 'service-token',
    name: 'ci',
    roles: ['approver'],
    accounts: ['*'],
    owner: requester.id,
  };
  t.same(
    canApprove({ ...base, approver: ritasToken }),
    { ok: true },
    'a token created by the requester is another principal (only admins create tokens)',
  );
  t.match(
    canApprove({ ...base, approver: ritasToken, requestedBy: ritasToken.id }),
    { ok: false, reason: /own request/ },
    'a token cannot approve what it requested',
  );
  // A fresh install: the bootstrap admin created both tokens.
  const adminToken: Principal = {
    ...ritasToken,
    id: 'svc:aaaaaaaaaaaaaaaa',
    roles: ['admin'],
    owner: 'svc:bootstrap',
  };
  const approverToken: Principal = { ...ritasToken, id: 'svc:bbbbbbbbbbbbbbbb', owner: 'svc:bootstrap' };
  t.same(
    canApprove({ ...base, approver: approverToken, requestedBy: adminToken.id }),
    { ok: true },
    'an approver token approves an admin token of the same creator',
  );
  t.same(
    canApprove({ ...base, approver: adminToken, requestedBy: approverToken.id }),
    { ok: true },
    'and the other way round',
  );
});
