// Athena: workgroups.
import { T } from '../core.ts';
import { oneOf, type ResourceSpec } from './spec.ts';

export const ATHENA: ResourceSpec[] = [
  {
    token: T.workgroup,
    label: 'Athena WorkGroup',
    required: [],
    nameProp: 'name',
    autoname: 'plain',
    forceNew: ['name', 'region'],
    defaults: { state: 'ENABLED', forceDestroy: false },
    jsonProps: [],
    tags: true,
    validate: oneOf('state', ['ENABLED', 'DISABLED']),
    id: (i) => String(i.name),
    outputs: (i, id, ctx) => ({
      arn: `arn:aws:athena:${ctx.region}:${ctx.accountId}:workgroup/${id}`,
      description: i.description ?? '',
    }),
  },
];
