// Alarm sets kept as data: each entry becomes one CloudWatch Logs metric filter and one alarm
// on the trail's log group. GET /v1/alarm-sets lists them through alarmCatalog.
import type { AlarmCatalog } from '../../src/alarm-sets/catalog.ts';

export interface AlarmEntry {
  /** Stable id, unique within its set; part of resource names. */
  id: string;
  title: string;
  description: string;
  /** CloudWatch Logs JSON filter pattern, evaluated against each CloudTrail event. */
  filterPattern: string;
  metricName: string;
  namespace: string;
  threshold: number;
  evaluationPeriods: number;
  /** Seconds. */
  period: number;
  statistic: 'Sum' | 'Maximum' | 'SampleCount';
  /** The benchmark control this entry implements, when there is one. */
  reference?: string;
}

export interface AlarmSet {
  name: string;
  title: string;
  description: string;
  entries: readonly AlarmEntry[];
}

const alarm = (
  namespace: string,
  e: Omit<AlarmEntry, 'namespace' | 'threshold' | 'evaluationPeriods' | 'period' | 'statistic'> &
    Partial<AlarmEntry>,
): AlarmEntry => ({ threshold: 1, evaluationPeriods: 1, period: 300, statistic: 'Sum', namespace, ...e });

const CIS_NS = 'CISBenchmark';

// Patterns are the CIS AWS Foundations Benchmark's own (section "Monitoring", controls 4.1-4.15
// in v1.4+/v3, 3.x in v1.2), kept verbatim so an auditor can compare them, except 4.13 whose
// eventName alternatives are parenthesised so the eventSource test applies to all of them.
const cis: AlarmSet = {
  name: 'cis',
  title: 'CIS AWS Foundations Benchmark monitoring',
  description:
    'The metric filters and alarms of the CIS AWS Foundations Benchmark monitoring section, with the benchmark filter patterns.',
  entries: [
    alarm(CIS_NS, {
      id: 'unauthorized-api-calls',
      reference: 'CIS 4.1',
      title: 'Unauthorized API calls',
      description: 'API calls refused with UnauthorizedOperation or AccessDenied.',
      filterPattern:
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
      metricName: 'unauthorized_api_calls_metric',
    }),
    alarm(CIS_NS, {
      id: 'console-signin-without-mfa',
      reference: 'CIS 4.2',
      title: 'Management console sign-in without MFA',
      description: 'Successful console sign-ins by IAM users that did not use MFA.',
      filterPattern:
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
      metricName: 'no_mfa_console_signin_metric',
    }),
    alarm(CIS_NS, {
      id: 'root-account-usage',
      reference: 'CIS 4.3',
      title: 'Usage of the root account',
      description: 'Any call made with the root user that was not made by an AWS service on its behalf.',
      filterPattern:
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
      metricName: 'root_usage_metric',
    }),
    alarm(CIS_NS, {
      id: 'iam-policy-changes',
      reference: 'CIS 4.4',
      title: 'IAM policy changes',
      description: 'Creating, changing, attaching or detaching IAM policies.',
      filterPattern:
        '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}',
      metricName: 'iam_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'cloudtrail-configuration-changes',
      reference: 'CIS 4.5',
      title: 'CloudTrail configuration changes',
      description: 'Creating, updating, deleting, starting or stopping a trail.',
      filterPattern:
        '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }',
      metricName: 'cloudtrail_cfg_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'console-authentication-failures',
      reference: 'CIS 4.6',
      title: 'Management console authentication failures',
      description: 'Failed console sign-ins.',
      filterPattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
      metricName: 'console_signin_failure_metric',
    }),
    alarm(CIS_NS, {
      id: 'cmk-disable-or-deletion',
      reference: 'CIS 4.7',
      title: 'Disabling or scheduled deletion of customer managed keys',
      description: 'A KMS key was disabled or scheduled for deletion.',
      filterPattern:
        '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }',
      metricName: 'disable_or_delete_cmk_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 's3-bucket-policy-changes',
      reference: 'CIS 4.8',
      title: 'S3 bucket policy changes',
      description: 'Changes to S3 bucket ACLs, policies, CORS, lifecycle or replication.',
      filterPattern:
        '{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }',
      metricName: 's3_bucket_policy_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'config-changes',
      reference: 'CIS 4.9',
      title: 'AWS Config configuration changes',
      description: 'Stopping the configuration recorder or changing the recorder or delivery channel.',
      filterPattern:
        '{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }',
      metricName: 'aws_config_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'security-group-changes',
      reference: 'CIS 4.10',
      title: 'Security group changes',
      description: 'Creating, deleting or changing the rules of security groups.',
      filterPattern:
        '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }',
      metricName: 'security_group_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'nacl-changes',
      reference: 'CIS 4.11',
      title: 'Network ACL changes',
      description: 'Creating, deleting or changing network ACLs and their entries.',
      filterPattern:
        '{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }',
      metricName: 'nacl_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'network-gateway-changes',
      reference: 'CIS 4.12',
      title: 'Network gateway changes',
      description: 'Creating, deleting, attaching or detaching customer and internet gateways.',
      filterPattern:
        '{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }',
      metricName: 'network_gw_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'route-table-changes',
      reference: 'CIS 4.13',
      title: 'Route table changes',
      description: 'Creating, replacing, deleting or disassociating routes and route tables.',
      filterPattern:
        '{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }',
      metricName: 'route_table_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'vpc-changes',
      reference: 'CIS 4.14',
      title: 'VPC changes',
      description: 'Creating, deleting or changing VPCs, peering connections and ClassicLink.',
      filterPattern:
        '{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }',
      metricName: 'vpc_changes_metric',
    }),
    alarm(CIS_NS, {
      id: 'organizations-changes',
      reference: 'CIS 4.15',
      title: 'AWS Organizations changes',
      description: 'Changes to the organization, its accounts, units, policies and handshakes.',
      filterPattern:
        '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }',
      metricName: 'organizations_changes_metric',
    }),
  ],
};

const ESS_NS = 'Trailwarden';

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
      filterPattern: cis.entries.find((e) => e.id === 'security-group-changes')!.filterPattern,
      metricName: 'SecurityGroupEventCount',
    }),
    alarm(ESS_NS, {
      id: 'vpc-changes',
      title: 'VPC changes',
      description: 'Creating, deleting or changing VPCs, peering connections and ClassicLink.',
      filterPattern: cis.entries.find((e) => e.id === 'vpc-changes')!.filterPattern,
      metricName: 'VpcEventCount',
    }),
    alarm(ESS_NS, {
      id: 'iam-policy-changes',
      title: 'IAM policy changes',
      description: 'Creating, changing, attaching or detaching IAM policies.',
      filterPattern: cis.entries.find((e) => e.id === 'iam-policy-changes')!.filterPattern,
      metricName: 'IAMPolicyEventCount',
    }),
    alarm(ESS_NS, {
      id: 's3-bucket-policy-changes',
      title: 'S3 bucket policy changes',
      description: 'Changes to S3 bucket ACLs, policies, CORS, lifecycle or replication.',
      filterPattern: cis.entries.find((e) => e.id === 's3-bucket-policy-changes')!.filterPattern,
      metricName: 'S3BucketPolicyEventCount',
    }),
    alarm(ESS_NS, {
      id: 'console-signin-failures',
      title: 'Console sign-in failures',
      description: 'Three or more failed console sign-ins within five minutes.',
      filterPattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
      metricName: 'ConsoleSigninFailureCount',
      threshold: 3,
    }),
    alarm(ESS_NS, {
      id: 'authorization-failures',
      title: 'Authorization failures',
      description: 'Five or more refused API calls within five minutes.',
      filterPattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
      metricName: 'AuthorizationFailureCount',
      threshold: 5,
    }),
    alarm(ESS_NS, {
      id: 'ec2-instance-changes',
      title: 'EC2 instance changes',
      description: 'Launching, starting, stopping, rebooting or terminating EC2 instances.',
      filterPattern:
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
      entries: s.entries.map((e) => ({ id: e.id, title: e.title, description: e.description })),
    })),
  has: hasAlarmSet,
} satisfies AlarmCatalog;
