// The audit API's schemas (one schema home per feature).
import { Type } from 'typebox';
import { pageQuery } from '../openapi/page.ts';

export const AuditEntrySchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    id: Type.String(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String(),
    actorName: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    accountId: Type.Union([Type.String(), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.String({ description: 'HTTP status code of a call, or the state of an operation' }),
    details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    prevHash: Type.String(),
    hash: Type.String(),
  },
  { $id: 'AuditEntry' },
);

export const VerifySchema = Type.Object(
  {
    ok: Type.Boolean(),
    entries: Type.Integer({ description: 'Entries that verified' }),
    headSeq: Type.Optional(Type.Integer()),
    headHash: Type.Optional(
      Type.String({ description: 'Record it elsewhere to detect a rewrite of the whole chain' }),
    ),
    broken: Type.Optional(
      Type.Object({
        seq: Type.Integer(),
        id: Type.Union([Type.String(), Type.Null()]),
        reason: Type.String(),
      }),
    ),
  },
  { $id: 'AuditVerification' },
);

export const AuditListQuery = Type.Object(
  {
    accountId: Type.Optional(Type.String({ pattern: '^[0-9]{12}$', maxLength: 12 })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    ...pageQuery({ maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);
