// The health API's schemas (one schema home per feature).
import { Type } from 'typebox';
import { MODES, SANDBOX_NOTICE } from '../config.ts';

const Check = Type.Object({
  name: Type.String(),
  ok: Type.Boolean(),
  detail: Type.Optional(Type.String()),
  fix: Type.Optional(Type.String({ description: 'The command or setting that provides what is missing' })),
});

export const Healthz = Type.Object({ status: Type.Literal('ok') });

export const Readyz = Type.Object({
  status: Type.Literal('ready'),
  mode: Type.Enum(MODES),
  notice: Type.Optional(Type.String({ description: 'In sandbox mode: ' + SANDBOX_NOTICE })),
  checks: Type.Array(Check),
});
