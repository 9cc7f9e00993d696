// Primitives shared by the resource table (resources/) and the rule table (rules.ts): the
// engine's unknown marker, AWS-shaped errors, the per-call context and lookups across the state.
import { randomUUID } from 'node:crypto';
import { UNKNOWN_STRING } from '../engine-values.ts';
import type { Props, SandboxRecord, SandboxState } from './state.ts';

/** The engine's marker for a value that is not known yet (preview of a computed input). */
export const UNKNOWN = UNKNOWN_STRING;

export function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(isUnknown);
  if (v && typeof v === 'object') return Object.values(v).some(isUnknown);
  return false;
}

/** An error shaped like the AWS SDK error the Terraform provider would surface. */
export class AwsApiError extends Error {
  readonly code: string;
  /** The sandbox rule (rules.ts) that refused, for tests and logs; not part of AWS's message. */
  ruleId?: string;
  constructor(
    operation: string,
    service: string,
    apiCall: string,
    code: string,
    message: string,
    status = 400,
  ) {
    super(
      `${operation}: operation error ${service}: ${apiCall}, https response error StatusCode: ${status}, ` +
        `RequestID: ${randomUUID()}, ${code}: ${message}`,
    );
    this.name = code;
    this.code = code;
  }
}

export interface Ctx {
  accountId: string;
  /** The resource's region: its `region` input, else the provider's. */
  region: string;
  state: SandboxState;
  defaultTags: Record<string, string>;
  /** Outputs before this update (undefined on create). */
  prev?: Props;
}

export interface Failure {
  property: string;
  reason: string;
}

export const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== UNKNOWN ? v : undefined;

export const T = {
  key: 'aws:kms/key:Key',
  alias: 'aws:kms/alias:Alias',
  bucket: 'aws:s3/bucket:Bucket',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  bucketEncryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  bucketLogging: 'aws:s3/bucketLogging:BucketLogging',
  bucketObjectLock: 'aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration',
  trail: 'aws:cloudtrail/trail:Trail',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  metricFilter: 'aws:cloudwatch/logMetricFilter:LogMetricFilter',
  eventRule: 'aws:cloudwatch/eventRule:EventRule',
  eventTarget: 'aws:cloudwatch/eventTarget:EventTarget',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  topic: 'aws:sns/topic:Topic',
  topicPolicy: 'aws:sns/topicPolicy:TopicPolicy',
  subscription: 'aws:sns/topicSubscription:TopicSubscription',
  glueDatabase: 'aws:glue/catalogDatabase:CatalogDatabase',
  glueTable: 'aws:glue/catalogTable:CatalogTable',
  workgroup: 'aws:athena/workgroup:Workgroup',
  organization: 'aws:organizations/organization:Organization',
} as const;

/** Finds a resource by id: in one account when given, else in any (S3's global bucket namespace). */
export function find(
  state: SandboxState,
  type: string,
  id: string,
  accountId?: string,
  region?: string,
): SandboxRecord | undefined {
  if (accountId) return state.get(accountId, type, id, region);
  return state.list({ type, ...(region ? { region } : {}) }).find((r) => r.id === id);
}

/**
 * Resolves a KMS key reference (key id, key ARN, alias name, alias ARN) to the Key record, as KMS
 * does: an ARN names its own account and region; a bare key id or alias is looked up in the
 * caller's account and region.
 */
export function resolveKmsKey(
  state: SandboxState,
  ref: string,
  accountId: string,
  region: string,
): SandboxRecord | undefined {
  let account = accountId;
  let where = region;
  let rest = ref;
  const arn = /^arn:aws[\w-]*:kms:([^:]*):(\d{12}):(.+)$/.exec(ref);
  if (arn) {
    where = arn[1]!;
    account = arn[2]!;
    rest = arn[3]!;
  }
  if (rest.startsWith('alias/')) {
    const alias = state.get(account, T.alias, rest, where);
    const target = str(alias?.inputs.targetKeyId);
    return target ? resolveKmsKey(state, target, account, where) : undefined;
  }
  return state.get(account, T.key, rest.replace(/^key\//, ''), where);
}

/** Region and account of an ARN (`arn:partition:service:region:account:…`). */
export function arnParts(arn: string): { service: string; region: string; account: string } | undefined {
  const m = /^arn:aws[\w-]*:([^:]+):([^:]*):(\d{12}|):/.exec(arn);
  return m ? { service: m[1]!, region: m[2]!, account: m[3]! } : undefined;
}
