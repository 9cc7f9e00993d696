// Operations: creating previews/applies/drift checks, reading, cancelling, retrying, event streams.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountStore } from '../accounts/store/account-store.ts';
import { hiddenOperation, operationAccount } from '../auth/locators.ts';
import { requirePrincipal } from '../auth/plugin.ts';
import type { OperationKind } from '../engine/types.ts';
import { problemResponses } from '../errors.ts';
import { decodeSeqCursor, encodeSeqCursor } from '../openapi/cursor.ts';
import { EVENT_LEVELS, type EventLevel, eventLevel, operationEventStreamSchema } from '../openapi/events.ts';
import { sharedRef } from '../schema-ref.ts';
import { assertIfMatch } from '../trail-request/etag.ts';
import { AccountParams, IfMatchHeaders, TrailRequestSchema } from '../trail-request/schema.ts';
import { enqueueHandler } from './enqueue-route.ts';
import type { OperationQueue } from './queue.ts';
import {
  ApplyQuery,
  acceptedOperation,
  DecisionBody,
  EVENTS_PAGE_DEFAULT,
  EventsJsonSchema,
  EventsQuery,
  OperationAccepted,
  OperationParams,
  OperationSchema,
  operationView,
  PendingApprovalList,
  WaitOnly,
} from './schemas.ts';
import type { OperationService } from './service.ts';
import { FINAL_OPERATION_STATES, type OperationRecord, type OperationStore } from './store.ts';

const SSE_POLL_MS = 1000;
const SSE_KEEPALIVE_MS = 15000;

const CREATE_ROUTES: { path: string; kind: OperationKind; summary: string }[] = [
  { path: 'previews', kind: 'preview', summary: 'Queue a preview (what an apply would change)' },
  { path: 'applies', kind: 'apply', summary: 'Queue an apply of the current trail request' },
];

function wantsJson(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}

/**
 * Streams the operation's persisted events as SSE until it ends. The database is the source: local
 * queue notifications only wake the loop early, the poll covers operations run by another replica.
 */
async function streamEvents(
  req: FastifyRequest,
  reply: FastifyReply,
  stores: { accounts: AccountStore; operations: OperationStore },
  queue: OperationQueue,
  op: OperationRecord,
  openStreams: Set<() => void>,
): Promise<void> {
  const lastEventId = Number(req.headers['last-event-id'] ?? 0);
  let after = Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': String(req.id),
  });

  let closed = false;
  let dirty = false;
  // The stream starts with the operation's state (a queued one would otherwise show nothing for a while)
  // and says so again whenever it changes.
  let lastState: string | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const onQueue = (arg: string | OperationRecord) => {
    if ((typeof arg === 'string' ? arg : arg.id) === op.id) poke();
  };
  queue.on('events', onQueue);
  queue.on('settled', onQueue);
  const close = () => {
    closed = true;
    poke();
  };
  req.raw.on('close', close);
  openStreams.add(close);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);

  try {
    while (!closed) {
      dirty = false;
      const current = await stores.operations.getOperation(op.id);
      const finished = !current || FINAL_OPERATION_STATES.includes(current.state);
      if (current && !finished && current.state !== lastState) {
        res.write(`event: state\ndata: ${JSON.stringify(operationView(current))}\n\n`);
        lastState = current.state;
      }
      // Read events after the state: once final, every event is already persisted.
      for (const e of await stores.operations.listOperationEvents(op.id, after)) {
        res.write(`id: ${e.seq}\nevent: engine-event\ndata: ${JSON.stringify(e.event)}\n\n`);
        after = e.seq;
      }
      if (finished) {
        res.write(`event: end\ndata: ${JSON.stringify(current ? operationView(current) : null)}\n\n`);
        break;
      }
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, SSE_POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  } catch (err) {
    req.log.error({ err }, 'event stream failed');
  } finally {
    clearInterval(keepAlive);
    openStreams.delete(close);
    queue.off('events', onQueue);
    queue.off('settled', onQueue);
    res.end();
  }
}

export const operationRoutes: FastifyPluginAsyncTypebox<{
  operations: OperationService;
  stores: { accounts: AccountStore; operations: OperationStore };
  queue: OperationQueue;
}> = async (app, { operations, stores, queue }) => {
  // The account of /v1/operations/:operationId, for the access checks (unknown id: only all-account callers).
  const byOperation = operationAccount(stores);
  // On shutdown, open streams end at once (clients reconnect with Last-Event-ID), so closing the
  // server does not wait for long operations to finish.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of openStreams) close();
  });

  for (const route of CREATE_ROUTES) {
    const isPreview = route.kind === 'preview';
    const isApply = route.kind === 'apply';
    const enqueue = enqueueHandler(operations, route.kind);
    app.post(
      `/v1/accounts/:accountId/trail/${route.path}`,
      {
        config: { access: { role: 'requester', account: 'params.accountId' } },
        schema: {
          tags: ['operations'],
          summary: route.summary,
          description:
            'Returns 202 with the operation (Location: its URL). Operations of one account run one at a time ' +
            'in order; `wait=false` answers 409 instead of queueing behind another. With If-Match, only for that ' +
            'version of the trail request (412 otherwise).' +
            (isPreview
              ? ' A preview reads the account first (refresh), so it shows what an apply would do now. With a ' +
                'JSON body (a TrailRequest, validated as PUT validates it) it previews that draft instead of the ' +
                'stored spec: nothing is stored, the spec version and the account status stay as they are.'
              : '') +
            (isApply
              ? ' With `previewId` (the preview the user confirmed), the apply is of the previewed spec and is ' +
                "refused with 409 `preview_stale` when the stored spec or the account's recorded state changed " +
                "since that preview. The engine then runs that preview's update plan: a change the preview did not " +
                'show (drift that appeared since) fails the operation with preview_stale instead of being made.'
              : ''),
          params: AccountParams,
          querystring: isApply ? ApplyQuery : WaitOnly,
          headers: IfMatchHeaders,
          // Keyed by media type: a call without a body (no content-type) is not validated against it.
          ...(isPreview
            ? {
                body: {
                  description: 'Optional: a draft trail request to preview instead of the stored one',
                  content: { 'application/json': { schema: sharedRef(TrailRequestSchema) } },
                },
              }
            : {}),
          response: { 202: OperationAccepted, ...problemResponses(400, 404, 409, 412) },
        },
      },
      async (req, reply) => {
        const { accountId } = req.params;
        const query = req.query as { wait?: boolean; previewId?: string };
        if (isPreview && req.body !== undefined && req.body !== null) {
          if (!operations.resolveDraft) throw new Error('draft previews need the account service');
          if (req.headers['if-match'] !== undefined) {
            const account = await stores.accounts.getAccount(accountId);
            assertIfMatch(req.headers['if-match'], account?.specVersion, `the trail request of ${accountId}`);
          }
          const draft = await operations.resolveDraft(accountId, req.body);
          const op = await operations.previewDraft(accountId, draft, {
            wait: query.wait ?? true,
            principal: req.principal,
          });
          return acceptedOperation(reply, op);
        }
        return enqueue(req, reply);
      },
    );
  }

  app.get(
    '/v1/operations/:operationId',
    {
      config: { access: { role: 'viewer', account: byOperation, hidden: hiddenOperation } },
      schema: {
        tags: ['operations'],
        summary: 'State, timings, change summary, outputs or error of an operation',
        params: OperationParams,
        response: { 200: sharedRef(OperationSchema), ...problemResponses(404) },
      },
    },
    async (req) => operationView(await operations.get(req.params.operationId)),
  );

  app.get(
    '/v1/operations/:operationId/events',
    {
      config: { access: { role: 'viewer', account: byOperation, hidden: hiddenOperation } },
      schema: {
        tags: ['operations'],
        summary: 'Engine events of an operation: server-sent events, or JSON with Accept: application/json',
        description:
          'As text/event-stream: one `engine-event` per engine event (id = seq; Last-Event-ID resumes), then an ' +
          '`end` event with the operation, then the stream closes (every event, whatever its level). As JSON: ' +
          'a page of the events persisted so far, oldest first, at `level` or above (debug hidden by ' +
          'default), `limit` per page; nextCursor continues after it.',
        params: OperationParams,
        querystring: EventsQuery,
        response: {
          200: {
            description: 'The events',
            content: {
              'application/json': { schema: sharedRef(EventsJsonSchema) },
              'text/event-stream': { schema: operationEventStreamSchema(sharedRef(OperationSchema)) },
            },
          },
          ...problemResponses(404),
        },
      },
    },
    async (req, reply) => {
      const op = await operations.get(req.params.operationId);
      if (!wantsJson(req)) return streamEvents(req, reply, stores, queue, op, openStreams);
      const q = req.query;
      const from = q.cursor !== undefined ? decodeSeqCursor(q.cursor) : (q.after ?? 0);
      const min = EVENT_LEVELS.indexOf((q.level ?? 'info') as EventLevel);
      const limit = q.limit ?? EVENTS_PAGE_DEFAULT;
      const done = FINAL_OPERATION_STATES.includes(op.state);
      // Read the state before the events: once final, every event is already persisted.
      const stored = await stores.operations.listOperationEvents(op.id, from);
      const page: { seq: number; createdAt: string; level: EventLevel; event: Record<string, unknown> }[] =
        [];
      let more = false;
      let scanned = from;
      for (const e of stored) {
        const level = eventLevel(e.event);
        if (EVENT_LEVELS.indexOf(level) < min) {
          scanned = e.seq;
          continue;
        }
        if (page.length === limit) {
          more = true;
          break;
        }
        page.push({ seq: e.seq, createdAt: e.createdAt, level, event: e.event as Record<string, unknown> });
        scanned = e.seq;
      }
      reply.type('application/json');
      return {
        operationId: op.id,
        state: op.state,
        done,
        events: page,
        // After the last event looked at (filtered-out ones too), so the next page does not rescan them.
        nextCursor: more || !done ? encodeSeqCursor(more ? page.at(-1)!.seq : scanned) : null,
      };
    },
  );

  app.post(
    '/v1/operations/:operationId/cancel',
    {
      config: { access: { role: 'requester', account: byOperation, hidden: hiddenOperation } },
      schema: {
        tags: ['operations'],
        summary: 'Cancel an operation',
        description:
          'A queued operation is cancelled at once; a running one is told to cancel (the engine stops, then ' +
          'the operation ends `cancelled`). 409 when it already ended.',
        params: OperationParams,
        response: { 202: OperationAccepted, ...problemResponses(404, 409) },
      },
    },
    async (req, reply) => {
      reply.code(202);
      return operationView(await operations.cancel(req.params.operationId));
    },
  );

  app.post(
    '/v1/operations/:operationId/retry',
    {
      config: { access: { role: 'requester', account: byOperation, hidden: hiddenOperation } },
      schema: {
        tags: ['operations'],
        summary: 'Retry a failed, cancelled or interrupted operation',
        description: 'Creates a new operation with the same kind and spec (retryOf names the original).',
        params: OperationParams,
        querystring: WaitOnly,
        response: { 202: OperationAccepted, ...problemResponses(404, 409) },
      },
    },
    async (req, reply) => {
      const op = await operations.retry(req.params.operationId, {
        wait: req.query.wait ?? true,
        principal: req.principal,
      });
      return acceptedOperation(reply, op);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/v1/operations/:operationId/${decision}`,
      {
        // Approver role on the operation's account; the handler adds the four-eyes check.
        config: { access: { role: 'approver', account: byOperation, hidden: hiddenOperation } },
        schema: {
          tags: ['operations'],
          summary:
            decision === 'approve'
              ? 'Approve an apply or decommission waiting in pending-approval (it is queued)'
              : 'Reject an apply or decommission waiting in pending-approval (it ends cancelled)',
          description:
            'Four eyes: an approver (or admin) scoped to the account, other than the requester (403 ' +
            'approval_not_allowed). People are told apart by principal subject (`oidc:<sub>`, `svc:<token id>`), ' +
            'not by who created a token. 409 when the operation is not pending-approval, or (approve) when the ' +
            'trail request changed since the apply was requested (spec_changed). An optional JSON body gives ' +
            'the reason, recorded on the operation (decisionReason) and in the audit trail. Answers like every ' +
            'route that starts (or ends) an operation: 202 with the operation, Location its URL.',
          params: OperationParams,
          body: {
            description: 'Optional: the reason for the decision',
            content: { 'application/json': { schema: DecisionBody } },
          },
          response: {
            202: {
              ...OperationAccepted,
              description:
                decision === 'approve'
                  ? 'Approved: the operation, queued'
                  : 'Rejected: the operation, cancelled (error approval_rejected)',
            },
            ...problemResponses(400, 403, 404, 409),
          },
        },
      },
      async (req, reply) => {
        const reason = (req.body as { reason?: string } | undefined)?.reason;
        const op = await operations.decide(req.params.operationId, decision, requirePrincipal(req), reason);
        req.auditDetails = {
          operationId: op.id,
          kind: op.kind,
          requestedBy: op.requestedBy,
          ...(reason ? { reason } : {}),
        };
        return acceptedOperation(reply, op);
      },
    );
  }

  app.get(
    '/v1/approvals',
    {
      // Filtered to what the caller may approve (role, account scope, not their own requests).
      config: { access: { role: 'approver' } },
      schema: {
        tags: ['operations'],
        summary: 'Operations waiting for approval that the caller may approve',
        description:
          'Oldest first. Each entry: the operation, who requested it, the spec diff against the last applied ' +
          'spec (leaf by leaf), why it needs approval, and the preview of that spec (the one the apply was ' +
          'confirmed from, else the latest preview of the same spec; null when none ran: preview it first).',
        response: { 200: PendingApprovalList },
      },
    },
    async (req) => {
      const items = await operations.pendingApprovals(requirePrincipal(req));
      return {
        items: items.map((p) => ({
          operation: operationView(p.operation),
          requestedBy: p.operation.requestedBy,
          requestedByName: p.requestedByName,
          appliedVersion: p.appliedVersion,
          diff: p.diff,
          reasons: p.reasons,
          preview: p.preview ? operationView(p.preview) : null,
        })),
      };
    },
  );
};
