import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { cloudTrailAssumeRolePolicy, logDeliveryPolicy } from './policies.ts';

export interface LogDeliveryArgs {
  accountId: string;
  logGroupName: string;
  logGroupArn: string;
  retentionInDays: number;
  keyArn: pulumi.Input<string>;
  roleName: string;
  rolePolicyName: string;
  trailArns: string[];
}

/** CloudWatch Logs copy of the trail: an encrypted log group and the role CloudTrail writes with. */
export class LogDelivery extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly role: aws.iam.Role;
  readonly rolePolicy: aws.iam.RolePolicy;
  /** The form CloudTrail's CloudWatchLogsLogGroupArn expects (with the `:*` suffix). */
  readonly trailLogGroupArn: pulumi.Output<string>;

  constructor(name: string, args: LogDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:LogDelivery', name, {}, opts);
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-log-group`,
      { name: args.logGroupName, retentionInDays: args.retentionInDays, kmsKeyId: args.keyArn },
      { parent: this },
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: args.roleName,
        description: 'CloudTrail delivers events of the Trailwarden trail to CloudWatch Logs',
        assumeRolePolicy: JSON.stringify(
          cloudTrailAssumeRolePolicy({ accountId: args.accountId, trailArns: args.trailArns }),
        ),
        maxSessionDuration: 3600,
      },
      { parent: this },
    );
    this.rolePolicy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        name: args.rolePolicyName,
        role: this.role.id,
        // Built from the log group's real ARN so the policy follows the resource.
        policy: this.logGroup.arn.apply((arn) => JSON.stringify(logDeliveryPolicy({ logGroupArn: arn }))),
      },
      { parent: this },
    );
    this.trailLogGroupArn = pulumi.interpolate`${this.logGroup.arn}:*`;
    this.registerOutputs({
      logGroupName: this.logGroup.name,
      logGroupArn: this.logGroup.arn,
      roleArn: this.role.arn,
    });
  }
}
