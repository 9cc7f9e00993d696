import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AlarmCatalog } from './catalog.ts';

export const AlarmSetSchema = Type.Object(
  {
    name: Type.String({ description: 'The value for alarms.set in a trail request' }),
    description: Type.String(),
    entries: Type.Array(
      Type.Object({ id: Type.String(), title: Type.String(), description: Type.String() }),
      { description: 'The alarms (metric filter + alarm) the set creates' },
    ),
  },
  { $id: 'AlarmSet', title: 'AlarmSet' },
);

export const alarmSetRoutes: FastifyPluginAsyncTypebox<{ alarmCatalog: AlarmCatalog }> = async (
  app,
  opts,
) => {
  app.get(
    '/v1/alarm-sets',
    {
      config: { access: { role: 'viewer' } },
      schema: {
        tags: ['alarm-sets'],
        summary: 'The alarm sets a trail request can name',
        response: { 200: Type.Object({ items: Type.Array(AlarmSetSchema) }) },
      },
    },
    async () => ({ items: opts.alarmCatalog.list() }),
  );
};
