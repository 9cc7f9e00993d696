import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SANDBOX_NOTICE } from '../config.ts';
import { NotReadyError, problemResponses } from '../errors.ts';
import { describeFailures, type Prerequisites } from './prerequisites.ts';
import { Healthz, Readyz } from './schemas.ts';

export const healthRoutes: FastifyPluginAsyncTypebox<{
  ping: () => Promise<void>;
  prerequisites: Prerequisites;
}> = async (app, opts) => {
  const { prerequisites } = opts;

  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: Healthz },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary:
          'Ready to run operations: database, Pulumi CLI, and in aws mode the aws plugin and credentials',
        description:
          'Reports the mode (sandbox: our own provider stands in for AWS; aws: real accounts). 503 names ' +
          'each missing piece and the command that provides it; operations are refused with the same words.',
        response: {
          200: Readyz,
          ...problemResponses(503),
        },
      },
    },
    async (req) => {
      const checks: { name: string; ok: boolean; detail?: string; fix?: string }[] = [];
      try {
        await opts.ping();
        checks.push({ name: 'database', ok: true });
      } catch (err) {
        req.log.warn({ err }, 'readiness: database unreachable');
        checks.push({ name: 'database', ok: false, detail: 'database unreachable' });
      }
      checks.push(...(await prerequisites.check()));
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        req.log.warn({ failed: failed.map((c) => c.name) }, 'not ready');
        throw new NotReadyError(`${prerequisites.mode} mode: ${describeFailures(failed)}`);
      }
      return {
        status: 'ready' as const,
        mode: prerequisites.mode,
        ...(prerequisites.mode === 'sandbox' ? { notice: SANDBOX_NOTICE } : {}),
        checks,
      };
    },
  );
};
