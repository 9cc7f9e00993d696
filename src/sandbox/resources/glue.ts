// Glue Data Catalog: the databases and tables Athena queries.
import { str, T } from '../core.ts';
import { oneOf, type ResourceSpec } from './spec.ts';

export const GLUE: ResourceSpec[] = [
  {
    token: T.glueDatabase,
    label: 'Glue Catalog Database',
    required: [],
    nameProp: 'name',
    autoname: 'lower',
    forceNew: ['name', 'catalogId', 'region'],
    defaults: {},
    jsonProps: [],
    tags: true,
    // The Terraform provider's id: <catalog id (the account)>:<name>.
    id: (i, ctx) => `${str(i.catalogId) ?? ctx.accountId}:${i.name}`,
    outputs: (i, _id, ctx) => ({
      arn: `arn:aws:glue:${ctx.region}:${ctx.accountId}:database/${i.name}`,
      catalogId: str(i.catalogId) ?? ctx.accountId,
      locationUri: i.locationUri ?? '',
      description: i.description ?? '',
    }),
  },
  {
    token: T.glueTable,
    label: 'Glue Catalog Table',
    required: ['databaseName'],
    nameProp: 'name',
    autoname: 'lower',
    forceNew: ['name', 'databaseName', 'catalogId', 'region'],
    defaults: {},
    jsonProps: [],
    tags: false,
    validate: oneOf('tableType', ['EXTERNAL_TABLE', 'VIRTUAL_VIEW', 'GOVERNED']),
    id: (i, ctx) => `${str(i.catalogId) ?? ctx.accountId}:${i.databaseName}:${i.name}`,
    outputs: (i, _id, ctx) => ({
      arn: `arn:aws:glue:${ctx.region}:${ctx.accountId}:table/${i.databaseName}/${i.name}`,
      catalogId: str(i.catalogId) ?? ctx.accountId,
    }),
  },
];
