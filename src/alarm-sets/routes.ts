import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AlarmCatalog } from './catalog.ts';
import { AlarmSetList } from './schemas.ts';

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
        response: { 200: AlarmSetList },
      },
    },
    async () => ({ items: opts.alarmCatalog.list() }),
  );
};
