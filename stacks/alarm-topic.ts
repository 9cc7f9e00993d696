import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { topicPolicy } from './policies.ts';

export interface AlarmTopicArgs {
  topicName: string;
  topicArn: string;
  partition: string;
  accountId: string;
  region: string;
  /** Prefix of the alarm and rule names allowed to publish. */
  publisherNamePrefix: string;
  keyArn: pulumi.Input<string>;
  emails: string[];
  https: string[];
}

/** The KMS-encrypted SNS topic alarms and misconfiguration rules notify, with its subscriptions. */
export class AlarmTopic extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly policy: aws.sns.TopicPolicy;
  readonly arn: pulumi.Output<string>;
  /** Each subscription's protocol, endpoint and pendingConfirmation (coverage: is anybody receiving?). */
  readonly subscriptions: pulumi.Output<
    { protocol: string; endpoint: string; pendingConfirmation: boolean }[]
  >;

  constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:AlarmTopic', name, {}, opts);
    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      { name: args.topicName, displayName: 'Trailwarden alarms', kmsMasterKeyId: args.keyArn },
      { parent: this },
    );
    this.policy = new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: this.topic.arn,
        policy: JSON.stringify(
          topicPolicy({
            partition: args.partition,
            accountId: args.accountId,
            region: args.region,
            topicArn: args.topicArn,
            namePrefix: args.publisherNamePrefix,
          }),
        ),
      },
      { parent: this },
    );
    const subscriptions: aws.sns.TopicSubscription[] = [];
    args.emails.forEach((endpoint, i) => {
      subscriptions.push(
        new aws.sns.TopicSubscription(
          `${name}-email-${i}`,
          { topic: this.topic.arn, protocol: 'email', endpoint },
          { parent: this },
        ),
      );
    });
    args.https.forEach((endpoint, i) => {
      subscriptions.push(
        new aws.sns.TopicSubscription(
          `${name}-https-${i}`,
          { topic: this.topic.arn, protocol: 'https', endpoint },
          { parent: this },
        ),
      );
    });
    this.arn = this.topic.arn;
    this.subscriptions = pulumi.all(
      subscriptions.map((s) =>
        pulumi
          .all([s.protocol, s.endpoint, s.pendingConfirmation])
          .apply(([protocol, endpoint, pendingConfirmation]) => ({
            protocol,
            endpoint,
            pendingConfirmation,
          })),
      ),
    );
    this.registerOutputs({ topicArn: this.arn });
  }
}
