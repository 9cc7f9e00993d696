// Alarm sets kept as data: each entry becomes one CloudWatch Logs metric filter and one alarm
// on each trail's log group. GET /v1/alarm-sets lists them through alarmCatalog.
import type { AlarmCatalog } from '../../src/alarm-sets/catalog.ts';

/**
 * The wording of the filter patterns. Security Hub's CloudWatch.1-14 controls "fail if the exact
 * metric filters prescribed by CIS are not used. Additional fields or terms cannot be added"
 * (Security Hub User Guide, "Amazon CloudWatch controls"), so:
 * - securityhub: the exact patterns those controls check (the default);
 * - cis-1.2: the CIS AWS Foundations Benchmark v1.2.0 wording (section 3);
 * - hardened: fewer false positives and no blind spots, at the price of failing those controls.
 */
export const PATTERN_PROFILES = ['securityhub', 'cis-1.2', 'hardened'] as const;
export type PatternProfile = (typeof PATTERN_PROFILES)[number];
export const DEFAULT_PATTERN_PROFILE: PatternProfile = 'securityhub';

export interface ControlIds {
  /** CIS AWS Foundations Benchmark recommendations, e.g. 'CIS v1.4.0 4.3'. */
  cis: string[];
  /** Security Hub controls that check this exact pattern, e.g. 'CloudWatch.1'. */
  securityHub: string[];
}

export interface AlarmEntry {
  /** Stable id, unique within its set; part of resource names (other code keys tables by it). */
  id: string;
  title: string;
  description: string;
  /** CloudWatch Logs JSON filter pattern per profile, evaluated against each CloudTrail event. */
  patterns: Record<PatternProfile, string>;
  controls: ControlIds;
  metricName: string;
  namespace: string;
  threshold: number;
  evaluationPeriods: number;
  /** Seconds. */
  period: number;
  statistic: 'Sum' | 'Maximum' | 'SampleCount';
  /** Short human reference shown in the alarm description, when the entry has a control. */
  reference?: string;
}

export interface AlarmSet {
  name: string;
  title: string;
  description: string;
  entries: readonly AlarmEntry[];
}

export function hasPatternProfile(name: string): name is PatternProfile {
  return (PATTERN_PROFILES as readonly string[]).includes(name);
}

/** The entry's filter pattern in the chosen profile. */
export function filterPatternOf(
  entry: AlarmEntry,
  profile: PatternProfile = DEFAULT_PATTERN_PROFILE,
): string {
  return entry.patterns[profile];
}

type EntryInput = Omit<
  AlarmEntry,
  | 'namespace'
  | 'threshold'
  | 'evaluationPeriods'
  | 'period'
  | 'statistic'
  | 'patterns'
  | 'controls'
  | 'reference'
> &
  Partial<Pick<AlarmEntry, 'threshold' | 'evaluationPeriods' | 'period' | 'statistic'>> & {
    /** The pattern of every profile not given below. */
    pattern: string;
    securityhub?: string;
    cis12?: string;
    hardened?: string;
    /** CIS recommendation numbers: v1.2.0 (section 3), v1.4.0 and v3.0.0 (section 4). */
    cis?: { v12?: string; v14?: string; v3?: string };
    securityHub?: string[];
  };

const alarm = (namespace: string, e: EntryInput): AlarmEntry => {
  const { pattern, securityhub, cis12, hardened, cis: cisIds, securityHub, ...rest } = e;
  const cisList = [
    ...(cisIds?.v12 ? [`CIS v1.2.0 ${cisIds.v12}`] : []),
    ...(cisIds?.v14 ? [`CIS v1.4.0 ${cisIds.v14}`] : []),
    ...(cisIds?.v3 ? [`CIS v3.0.0 ${cisIds.v3}`] : []),
  ];
  const refs = [...(cisIds?.v14 ? [`CIS ${cisIds.v14}`] : []), ...(securityHub ?? [])];
  return {
    threshold: 1,
    evaluationPeriods: 1,
    period: 300,
    statistic: 'Sum',
    namespace,
    ...rest,
    patterns: {
      securityhub: securityhub ?? pattern,
      'cis-1.2': cis12 ?? pattern,
      hardened: hardened ?? pattern,
    },
    controls: { cis: cisList, securityHub: securityHub ?? [] },
    ...(refs.length ? { reference: refs.join(', ') } : {}),
  };
};

const CIS_NS = 'CISBenchmark';

// securityhub patterns are verbatim from the Security Hub User Guide, "Amazon CloudWatch
// controls" (CloudWatch.1-14); cis-1.2 and the shared patterns are the benchmark's own text.
const cis: AlarmSet = {
  name: 'cis',
  title: 'CIS AWS Foundations Benchmark monitoring',
  description:
    'The metric filters and alarms of the CIS AWS Foundations Benchmark monitoring section, in the chosen pattern profile.',
  entries: [
    alarm(CIS_NS, {
      id: 'unauthorized-api-calls',
      cis: { v12: '3.1', v14: '4.1', v3: '4.1' },
      securityHub: ['CloudWatch.2'],
      title: 'Unauthorized API calls',
      description: 'API calls refused with UnauthorizedOperation or AccessDenied.',
      pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
      securityhub: '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
      // Leaves out S3 HeadBucket probes and log delivery, for both error codes (the benchmark's
      // later wording has these terms without parentheses, so they only applied to AccessDenied).
      hardened:
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
      metricName: 'unauthorized_api_calls_metric',
    }),
    alarm(CIS_NS, {
      id: 'console-signin-without-mfa',
      cis: { v12: '3.2', v14: '4.2', v3: '4.2' },
      securityHub: ['CloudWatch.3'],
      title: 'Management console sign-in without MFA',
      description: 'Successful console sign-ins by IAM users that did not use MFA.',
      pattern:
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
      // v1.2.0 counts federated (SSO) sign-ins and failed ones too.
      cis12: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
      metricName: 'no_mfa_console_signin_metric',
    }),
    alarm(CIS_NS, {
      id: 'root-account-usage',
      cis: { v12: '3.3', v14: '4.3', v3: '4.3' },
      securityHub: ['CloudWatch.1'],
      title: 'Usage of the root account',
      description: 'Any call made with the root user that was not made by an AWS service on its behalf.',
      pattern:
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
      securityhub:
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
      metricName: 'root_usage_metric',
    }),
    alarm(CIS_NS, {
      id: 'iam-policy-changes',
      cis: { v12: '3.4', v14: '4.4', v3: '4.4' },
      securityHub: ['CloudWatch.4'],
      title: 'IAM policy changes',
      description: 'Creating, changing, attaching or detaching IAM policies.',
      pattern:
        '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}',
      securityhub:
        '{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}',
      metricName: 'iam_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'cloudtrail-configuration-changes',
      cis: { v12: '3.5', v14: '4.5', v3: '4.5' },
      securityHub: ['CloudWatch.5'],
      title: 'CloudTrail configuration changes',
      description: 'Creating, updating, deleting, starting or stopping a trail.',
      pattern:
        '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }',
      securityhub:
        '{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}',
      metricName: 'cloudtrail_cfg_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'console-authentication-failures',
      cis: { v12: '3.6', v14: '4.6', v3: '4.6' },
      securityHub: ['CloudWatch.6'],
      title: 'Management console authentication failures',
      description: 'Failed console sign-ins.',
      pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
      securityhub: '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
      metricName: 'console_signin_failure_metric',
    }),
    alarm(CIS_NS, {
      id: 'cmk-disable-or-deletion',
      cis: { v12: '3.7', v14: '4.7', v3: '4.7' },
      securityHub: ['CloudWatch.7'],
      title: 'Disabling or scheduled deletion of customer managed keys',
      description: 'A KMS key was disabled or scheduled for deletion.',
      pattern:
        '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }',
      securityhub:
        '{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}',
      metricName: 'disable_or_delete_cmk_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 's3-bucket-policy-changes',
      cis: { v12: '3.8', v14: '4.8', v3: '4.8' },
      securityHub: ['CloudWatch.8'],
      title: 'S3 bucket policy changes',
      description: 'Changes to S3 bucket ACLs, policies, CORS, lifecycle or replication.',
      pattern:
        '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }',
      securityhub:
        '{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}',
      metricName: 's3_bucket_policy_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'config-changes',
      cis: { v12: '3.9', v14: '4.9', v3: '4.9' },
      securityHub: ['CloudWatch.9'],
      title: 'AWS Config configuration changes',
      description: 'Stopping the configuration recorder or changing the recorder or delivery channel.',
      pattern:
        '{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }',
      securityhub:
        '{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}',
      metricName: 'aws_config_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'security-group-changes',
      cis: { v12: '3.10', v14: '4.10', v3: '4.10' },
      securityHub: ['CloudWatch.10'],
      title: 'Security group changes',
      description: 'Creating, deleting or changing the rules of security groups.',
      pattern:
        '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }',
      securityhub:
        '{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}',
      metricName: 'security_group_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'nacl-changes',
      cis: { v12: '3.11', v14: '4.11', v3: '4.11' },
      securityHub: ['CloudWatch.11'],
      title: 'Network ACL changes',
      description: 'Creating, deleting or changing network ACLs and their entries.',
      pattern:
        '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }',
      securityhub:
        '{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}',
      metricName: 'nacl_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'network-gateway-changes',
      cis: { v12: '3.12', v14: '4.12', v3: '4.12' },
      securityHub: ['CloudWatch.12'],
      title: 'Network gateway changes',
      description: 'Creating, deleting, attaching or detaching customer and internet gateways.',
      pattern:
        '{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }',
      securityhub:
        '{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}',
      metricName: 'network_gw_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'route-table-changes',
      cis: { v12: '3.13', v14: '4.13', v3: '4.13' },
      securityHub: ['CloudWatch.13'],
      title: 'Route table changes',
      description: 'Creating, replacing, deleting or disassociating routes and route tables.',
      pattern:
        '{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }',
      securityhub:
        '{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}',
      // Only EC2 route tables: other services (Network Manager, ...) have calls of the same names.
      hardened:
        '{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }',
      metricName: 'route_table_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'vpc-changes',
      cis: { v12: '3.14', v14: '4.14', v3: '4.14' },
      securityHub: ['CloudWatch.14'],
      title: 'VPC changes',
      description: 'Creating, deleting or changing VPCs, peering connections and ClassicLink.',
      pattern:
        '{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }',
      securityhub:
        '{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}',
      metricName: 'vpc_changes_metric',
    }),
    alarm(CIS_NS, {
      // Not in v1.2.0 and checked by no Security Hub control: one wording for every profile.
      id: 'organizations-changes',
      cis: { v14: '4.15', v3: '4.15' },
      title: 'AWS Organizations changes',
      description: 'Changes to the organization, its accounts, units, policies and handshakes.',
      pattern:
        '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }',
      metricName: 'organizations_changes_metric',
    }),
  ],
};

const ESS_NS = 'Trailwarden';

/** An essentials entry with the same filter as a CIS entry shares its patterns and controls. */
function likeCis(id: string) {
  const e = cis.entries.find((x) => x.id === id)!;
  return {
    pattern: e.patterns.securityhub,
    securityhub: e.patterns.securityhub,
    cis12: e.patterns['cis-1.2'],
    hardened: e.patterns.hardened,
    cis: {
      v12: e.controls.cis.find((c) => c.startsWith('CIS v1.2.0 '))?.slice(11),
      v14: e.controls.cis.find((c) => c.startsWith('CIS v1.4.0 '))?.slice(11),
      v3: e.controls.cis.find((c) => c.startsWith('CIS v3.0.0 '))?.slice(11),
    },
    securityHub: [...e.controls.securityHub],
  };
}

// The AWS CloudTrail documentation's example alarms for API activity.
const essentials: AlarmSet = {
  name: 'essentials',
  title: 'Essential CloudTrail alarms',
  description:
    'A small set for every account: network and access-policy changes, failed console sign-ins, authorization failures and EC2 instance changes.',
  entries: [
    alarm(ESS_NS, {
      id: 'security-group-changes',
      title: 'Security group changes',
      description: 'Creating, deleting or changing the rules of security groups.',
      ...likeCis('security-group-changes'),
      metricName: 'SecurityGroupEventCount',
    }),
    alarm(ESS_NS, {
      id: 'vpc-changes',
      title: 'VPC changes',
      description: 'Creating, deleting or changing VPCs, peering connections and ClassicLink.',
      ...likeCis('vpc-changes'),
      metricName: 'VpcEventCount',
    }),
    alarm(ESS_NS, {
      id: 'iam-policy-changes',
      title: 'IAM policy changes',
      description: 'Creating, changing, attaching or detaching IAM policies.',
      ...likeCis('iam-policy-changes'),
      metricName: 'IAMPolicyEventCount',
    }),
    alarm(ESS_NS, {
      id: 's3-bucket-policy-changes',
      title: 'S3 bucket policy changes',
      description: 'Changes to S3 bucket ACLs, policies, CORS, lifecycle or replication.',
      ...likeCis('s3-bucket-policy-changes'),
      metricName: 'S3BucketPolicyEventCount',
    }),
    alarm(ESS_NS, {
      id: 'console-signin-failures',
      title: 'Console sign-in failures',
      description: 'Three or more failed console sign-ins within five minutes.',
      ...likeCis('console-authentication-failures'),
      metricName: 'ConsoleSigninFailureCount',
      threshold: 3,
    }),
    alarm(ESS_NS, {
      id: 'authorization-failures',
      title: 'Authorization failures',
      description: 'Five or more refused API calls within five minutes.',
      ...likeCis('unauthorized-api-calls'),
      metricName: 'AuthorizationFailureCount',
      threshold: 5,
    }),
    alarm(ESS_NS, {
      id: 'ec2-instance-changes',
      title: 'EC2 instance changes',
      description: 'Launching, starting, stopping, rebooting or terminating EC2 instances.',
      pattern:
        '{ ($.eventName = RunInstances) || ($.eventName = RebootInstances) || ($.eventName = StartInstances) || ($.eventName = StopInstances) || ($.eventName = TerminateInstances) }',
      metricName: 'EC2InstanceEventCount',
    }),
  ],
};

const SETS: readonly AlarmSet[] = [essentials, cis];

/** All alarm sets, in a stable order (for GET /v1/alarm-sets). */
export function listAlarmSets(): readonly AlarmSet[] {
  return SETS;
}

/** Name, title, description and entry count of each set, without the patterns. */
export function describeAlarmSets(): { name: string; title: string; description: string; alarms: number }[] {
  return SETS.map((s) => ({
    name: s.name,
    title: s.title,
    description: s.description,
    alarms: s.entries.length,
  }));
}

export function hasAlarmSet(name: string): boolean {
  return SETS.some((s) => s.name === name);
}

export function getAlarmSet(name: string): AlarmSet {
  const set = SETS.find((s) => s.name === name);
  if (!set) throw new Error(`unknown alarm set ${name}; known: ${SETS.map((s) => s.name).join(', ')}`);
  return set;
}

/** The catalog in the shape the API's GET /v1/alarm-sets and request validation use. */
export const alarmCatalog = {
  list: () =>
    SETS.map((s) => ({
      name: s.name,
      title: s.title,
      description: s.description,
      defaultProfile: DEFAULT_PATTERN_PROFILE,
      profiles: [...PATTERN_PROFILES],
      entries: s.entries.map((e) => ({
        id: e.id,
        title: e.title,
        description: e.description,
        patterns: { ...e.patterns },
        controls: { cis: [...e.controls.cis], securityHub: [...e.controls.securityHub] },
      })),
    })),
  has: hasAlarmSet,
} satisfies AlarmCatalog;
