import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { NAME_PREFIX } from './naming.ts';
import { keyPolicy } from './policies.ts';

export interface AuditKeyArgs {
  accountId: string;
  partition: string;
  homeRegion: string;
  /** ARNs of the trails that may encrypt with the key (known before the trails exist). */
  trailArns: string[];
  logGroupArn: string;
  securityReaders: string[];
  alias: string;
  description: string;
}

/** One customer managed key (home region) for the account's logs, log group and alarm topic. */
export class AuditKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly alias: aws.kms.Alias;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: AuditKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:AuditKey', name, {}, opts);
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: args.description,
        keyUsage: 'ENCRYPT_DECRYPT',
        customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        enableKeyRotation: true,
        // The longest window: a scheduled deletion must stay cancellable for as long as possible.
        deletionWindowInDays: 30,
        policy: JSON.stringify(
          keyPolicy({
            partition: args.partition,
            accountId: args.accountId,
            homeRegion: args.homeRegion,
            trailArns: args.trailArns,
            logGroupArn: args.logGroupArn,
            securityReaders: args.securityReaders,
            alarmNamePrefix: NAME_PREFIX,
          }),
        ),
      },
      { parent: this, protect: false },
    );
    this.alias = new aws.kms.Alias(
      `${name}-alias`,
      { name: args.alias, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.arn = this.key.arn;
    this.registerOutputs({ keyArn: this.arn, alias: this.alias.name });
  }
}
