import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { cloudTrailAssumeRolePolicy, logDeliveryPolicy } from './policies.ts';

export interface LogGroupArgs {
  logGroupName: string;
  retentionInDays: number;
  /** A key in the log group's Region. */
  keyArn: pulumi.Input<string>;
}

export interface DeliveryRoleArgs {
  accountId: string;
  organizationId?: string;
  roleName: string;
  rolePolicyName: string;
  /** Every trail's log group (one per trail Region), known before they exist. */
  logGroupArns: string[];
}

export interface LogDeliveryArgs extends LogGroupArgs {
  /** The IAM role is global: declared once (by the home Region's delivery) for every log group. */
  role?: DeliveryRoleArgs;
}

/**
 * CloudWatch Logs copy of a trail in one Region: an encrypted log group, and (once per account)
 * the role CloudTrail writes with.
 */
export class LogDelivery extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly role?: aws.iam.Role;
  readonly rolePolicy?: aws.iam.RolePolicy;
  /** The form CloudTrail's CloudWatchLogsLogGroupArn expects (with the `:*` suffix). */
  readonly trailLogGroupArn: pulumi.Output<string>;

  constructor(name: string, args: LogDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:LogDelivery', name, {}, opts);
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-log-group`,
      { name: args.logGroupName, retentionInDays: args.retentionInDays, kmsKeyId: args.keyArn },
      { parent: this },
    );
    if (args.role) {
      const r = args.role;
      this.role = new aws.iam.Role(
        `${name}-role`,
        {
          name: r.roleName,
          description: 'CloudTrail delivers events of the Trailwarden trails to CloudWatch Logs',
          assumeRolePolicy: JSON.stringify(cloudTrailAssumeRolePolicy()),
          maxSessionDuration: 3600,
        },
        { parent: this },
      );
      this.rolePolicy = new aws.iam.RolePolicy(
        `${name}-role-policy`,
        {
          name: r.rolePolicyName,
          role: this.role.id,
          policy: JSON.stringify(
            logDeliveryPolicy({
              logGroupArns: r.logGroupArns,
              accountId: r.accountId,
              organizationId: r.organizationId,
            }),
          ),
        },
        { parent: this },
      );
    }
    this.trailLogGroupArn = pulumi.interpolate`${this.logGroup.arn}:*`;
    this.registerOutputs({
      logGroupName: this.logGroup.name,
      logGroupArn: this.logGroup.arn,
      ...(this.role ? { roleArn: this.role.arn } : {}),
    });
  }
}
