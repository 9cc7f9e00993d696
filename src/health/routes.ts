import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TrailEngine } from '../engine/types.ts';
import { NotReadyError, ProblemSchema } from '../errors.ts';
import type { Store } from '../store/types.ts';

/** The @pulumi/pulumi version package.json pins; the CLI must match it. */
export function pinnedPulumiVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return (pkg.dependencies?.['@pulumi/pulumi'] ?? '').replace(/^[\^~=v]/, '');
}

const Check = Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.Optional(Type.String()) });

export const healthRoutes: FastifyPluginAsyncTypebox<{ store: Store; engine: TrailEngine }> = async (
  app,
  opts,
) => {
  const pinned = pinnedPulumiVersion();

  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
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
        summary: 'The database is reachable and the Pulumi CLI has the pinned version',
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Type.Array(Check) }),
          503: ProblemSchema,
        },
      },
    },
    async (req) => {
      const checks: { name: string; ok: boolean; detail?: string }[] = [];
      try {
        await opts.store.ping();
        checks.push({ name: 'database', ok: true });
      } catch (err) {
        req.log.warn({ err }, 'readiness: database unreachable');
        checks.push({ name: 'database', ok: false, detail: 'database unreachable' });
      }
      try {
        const version = (await opts.engine.cliVersion()).trim().replace(/^v/, '');
        checks.push(
          version === pinned
            ? { name: 'pulumi-cli', ok: true, detail: version }
            : { name: 'pulumi-cli', ok: false, detail: `CLI ${version}, expected ${pinned}` },
        );
      } catch (err) {
        req.log.warn({ err }, 'readiness: pulumi CLI version unknown');
        checks.push({
          name: 'pulumi-cli',
          ok: false,
          detail: `CLI version unknown: ${(err as Error).message}`,
        });
      }
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        throw new NotReadyError(failed.map((c) => `${c.name}: ${c.detail}`).join('; '));
      }
      return { status: 'ready' as const, checks };
    },
  );
};
