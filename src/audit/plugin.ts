// One audit entry per mutating call (onResponse, outcome = status code), the admin routes that read and
// verify the trail. (Operation state changes are written by src/operations/audit-trail.ts.)
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { problemResponses } from '../errors.ts';
import { decodeSeqCursor, encodeSeqCursor } from '../openapi/cursor.ts';
import { page } from '../openapi/page.ts';
import type { AuditInput } from './log.ts';
import { AuditEntrySchema, AuditListQuery, VerifySchema } from './schemas.ts';
import type { AuditStore } from './store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Extra facts a handler wants in the call's audit entry (ids, names; never secrets). */
    auditDetails: Record<string, unknown> | null;
  }
}

export const MUTATING_METHODS: readonly string[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

export interface AuditPluginOptions {
  audit: AuditStore;
}

function accountFromParams(params: unknown): string | null {
  if (params === null || typeof params !== 'object' || !Object.hasOwn(params, 'accountId')) return null;
  const v = (params as Record<string, unknown>)['accountId'];
  return typeof v === 'string' ? v : null;
}

async function auditPluginImpl(app: FastifyInstance, opts: AuditPluginOptions): Promise<void> {
  app.decorateRequest('auditDetails', null);
  app.addHook('onResponse', async (req, reply) => {
    if (!MUTATING_METHODS.includes(req.method)) return;
    const route = req.routeOptions.url;
    // Unmatched URLs (404 handler) change nothing and are not entries.
    if (!route) return;
    const entry: AuditInput = {
      actor: req.principal?.id ?? 'anonymous',
      actorName: req.principal?.name ?? null,
      action: `${req.method} ${route}`,
      accountId: req.accessAccountId ?? accountFromParams(req.params),
      requestId: String(req.id),
      outcome: String(reply.statusCode),
      details: req.auditDetails,
    };
    try {
      await opts.audit.append(entry);
    } catch (err) {
      req.log.error({ err, action: entry.action }, 'could not append to the audit log');
    }
  });
}

/**
 * Register before the routes; not encapsulated (fastify-plugin), so it sees every route's responses.
 * It records req.principal and req.accessAccountId, which the auth plugin sets: Fastify checks the order.
 */
export const auditPlugin = fp(auditPluginImpl, {
  name: 'trailwarden-audit',
  fastify: '5.x',
  dependencies: ['trailwarden-auth'],
  decorators: { request: ['principal', 'accessAccountId'] },
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditStore }> = async (app, { audit }) => {
  app.get(
    '/v1/audit',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags: ['audit'],
        summary: 'The audit trail, newest first (admin)',
        description: 'Pass nextCursor as cursor for the next page.',
        querystring: AuditListQuery,
        response: {
          200: page(AuditEntrySchema),
          ...problemResponses(400),
        },
      },
    },
    async (req) => {
      const page = await audit.list({
        limit: req.query.limit ?? 100,
        beforeSeq: req.query.cursor === undefined ? undefined : decodeSeqCursor(req.query.cursor),
        accountId: req.query.accountId,
        actor: req.query.actor,
      });
      return { ...page, nextCursor: page.nextCursor === null ? null : encodeSeqCursor(page.nextCursor) };
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { access: { role: 'admin' } },
      schema: {
        tags: ['audit'],
        summary: 'Walk the hash chain: ok, or the first entry that does not verify (admin)',
        response: { 200: VerifySchema },
      },
    },
    async () => audit.verify(),
  );
};
