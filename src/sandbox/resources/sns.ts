// SNS: topics, topic policies and subscriptions.
import { randomUUID } from 'node:crypto';
import { str, T } from '../core.ts';
import { oneOf, type ResourceSpec } from './spec.ts';

const defaultTopicPolicy = (arn: string, accountId: string) =>
  JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });

export const SNS: ResourceSpec[] = [
  {
    token: T.topic,
    label: 'SNS Topic',
    required: [],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'fifoTopic', 'region'],
    defaults: { fifoTopic: false, contentBasedDeduplication: false },
    jsonProps: ['policy', 'deliveryPolicy', 'archivePolicy'],
    tags: true,
    id: (i, ctx) => `arn:aws:sns:${ctx.region}:${ctx.accountId}:${i.name}`,
    outputs: (i, id, ctx) => ({
      arn: id,
      owner: ctx.accountId,
      policy: str(i.policy) ?? defaultTopicPolicy(id, ctx.accountId),
      signatureVersion: i.signatureVersion ?? 1,
      beginningArchiveTime: '',
    }),
  },
  {
    token: T.topicPolicy,
    label: 'SNS Topic Policy',
    required: ['arn', 'policy'],
    forceNew: ['arn', 'region'],
    defaults: {},
    jsonProps: ['policy'],
    tags: false,
    id: (i) => String(i.arn),
    outputs: (_i, _id, ctx) => ({ owner: ctx.accountId }),
  },
  {
    token: T.subscription,
    label: 'SNS Topic Subscription',
    required: ['endpoint', 'protocol', 'topic'],
    forceNew: ['endpoint', 'protocol', 'topic', 'region'],
    defaults: { rawMessageDelivery: false, endpointAutoConfirms: false, confirmationTimeoutInMinutes: 1 },
    jsonProps: ['filterPolicy', 'deliveryPolicy', 'redrivePolicy', 'replayPolicy'],
    tags: false,
    validate: oneOf('protocol', [
      'application',
      'email',
      'email-json',
      'firehose',
      'http',
      'https',
      'lambda',
      'sms',
      'sqs',
    ]),
    id: (i) => `${i.topic}:${randomUUID()}`,
    outputs: (i, id, ctx) => {
      // Subscribe: email, email-json and http(s) endpoints (and endpoints of another account) stay
      // pending until the endpoint owner calls ConfirmSubscription (`npm run sandbox --
      // confirm-subscription`); an http(s) endpoint that confirms itself is declared by
      // endpointAutoConfirms. A confirmation survives updates.
      const topicAccount = /^arn:aws[\w-]*:sns:[^:]+:(\d{12}):/.exec(String(i.topic))?.[1];
      const needsConfirmation =
        ['email', 'email-json'].includes(String(i.protocol)) ||
        (['http', 'https'].includes(String(i.protocol)) && i.endpointAutoConfirms !== true) ||
        (topicAccount !== undefined && topicAccount !== ctx.accountId);
      const pending = needsConfirmation && ctx.prev?.pendingConfirmation !== false;
      return {
        arn: id,
        ownerId: ctx.accountId,
        pendingConfirmation: pending,
        confirmationWasAuthenticated: ctx.prev?.confirmationWasAuthenticated === true || !needsConfirmation,
        filterPolicyScope: i.filterPolicy
          ? (i.filterPolicyScope ?? 'MessageAttributes')
          : i.filterPolicyScope,
      };
    },
  },
];
