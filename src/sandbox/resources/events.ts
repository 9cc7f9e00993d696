// EventBridge: rules and targets.
import { T } from '../core.ts';
import type { Props } from '../state.ts';
import { all, oneOf, type ResourceSpec } from './spec.ts';

/** A rule on a custom bus is known as <bus>/<name>; on the default bus by its name alone. */
const onCustomBus = (i: Props) => Boolean(i.eventBusName) && i.eventBusName !== 'default';

export const EVENTS: ResourceSpec[] = [
  {
    token: T.eventRule,
    label: 'EventBridge Rule',
    required: [],
    nameProp: 'name',
    prefixProp: 'namePrefix',
    autoname: 'plain',
    forceNew: ['name', 'namePrefix', 'eventBusName', 'region'],
    defaults: { eventBusName: 'default', forceDestroy: false },
    jsonProps: ['eventPattern'],
    tags: true,
    validate: all(
      oneOf('state', ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']),
      (i) =>
        i.eventPattern === undefined && i.scheduleExpression === undefined
          ? [
              {
                property: 'eventPattern',
                reason: 'one of `eventPattern,scheduleExpression` must be specified',
              },
            ]
          : [],
    ),
    id: (i) => (onCustomBus(i) ? `${i.eventBusName}/${i.name}` : String(i.name)),
    outputs: (i, _id, ctx) => ({
      arn: onCustomBus(i)
        ? `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${i.eventBusName}/${i.name}`
        : `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${i.name}`,
      state: i.state ?? (i.isEnabled === false ? 'DISABLED' : 'ENABLED'),
      description: i.description ?? '',
    }),
  },
  {
    token: T.eventTarget,
    label: 'EventBridge Target',
    required: ['arn', 'rule'],
    nameProp: 'targetId',
    autoname: 'plain',
    forceNew: ['rule', 'targetId', 'eventBusName', 'region'],
    defaults: { eventBusName: 'default', forceDestroy: false },
    jsonProps: [],
    tags: false,
    id: (i) => (onCustomBus(i) ? `${i.eventBusName}/${i.rule}/${i.targetId}` : `${i.rule}-${i.targetId}`),
  },
];
