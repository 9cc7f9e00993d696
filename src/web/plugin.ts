// The self-service pages: one small HTML shell and its ES modules and stylesheet, served as static
// files (no build step, no CDN). The page routes are the app's client-side routes, each answering
// the same shell; the browser code then talks to the /v1 API with the caller's bearer token.
//
// Every route here is public (`config.public`): the pages hold no data, the API calls they make
// carry the token. Routes are registered explicitly (not with @fastify/static's wildcard) so each
// carries that declaration and nothing outside public/ can be asked for.
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { type Mode, SANDBOX_NOTICE } from '../config.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no bearer token (declared by src/auth/access.ts too). */
    public?: boolean;
  }
}

export const PUBLIC_DIR = join(import.meta.dirname, 'public');

/** Client-side routes: each one serves the HTML shell. */
export const PAGE_ROUTES = [
  '/',
  '/accounts',
  '/accounts/:accountId',
  '/operations/:operationId',
  '/drift',
  '/approvals',
] as const;

/** Asset names the pages use: plain file names, no directories. */
const ASSET_NAME = /^[a-z][a-z0-9-]*\.(js|css|svg)$/;

export interface WebPluginOptions {
  /** The account allowed to have an organization trail; the form offers the option only there. */
  managementAccountId: string | undefined;
  /** Shown on every page: sandbox mode carries a banner. */
  mode?: Mode;
}

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, opts) => {
  // serve: false: no wildcard route; only reply.sendFile, rooted at public/ (send refuses ../).
  await app.register(fastifyStatic, { root: PUBLIC_DIR, serve: false });

  const shell = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');

  for (const url of PAGE_ROUTES) {
    app.get(url, { schema: { hide: true }, config: { public: true } }, async (_req, reply) => shell(reply));
  }

  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    // Static files: no info line per request (a page load fetches a dozen); errors still log.
    { schema: { hide: true }, config: { public: true }, logLevel: 'warn' },
    async (req, reply) => {
      const { name } = req.params;
      if (!ASSET_NAME.test(name)) return reply.callNotFound();
      // Revalidated on each load (ETag/Last-Modified answer 304): the pages stay current after a deploy.
      return reply.header('cache-control', 'no-cache').sendFile(name);
    },
  );

  // What the form needs beyond the OpenAPI document: where an organization trail is allowed.
  app.get(
    '/assets/settings.json',
    { schema: { hide: true }, config: { public: true } },
    async (_req, reply) => {
      reply.header('cache-control', 'no-cache');
      return {
        organizationTrailAccountId: opts.managementAccountId ?? null,
        mode: opts.mode ?? 'sandbox',
        notice: (opts.mode ?? 'sandbox') === 'sandbox' ? SANDBOX_NOTICE : null,
      };
    },
  );
};
