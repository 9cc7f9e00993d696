// Route access declarations: every route says what it needs in its config, checked at startup.
//   config: { access: { role: 'requester', account: 'params.accountId' } }
//   config: { public: true }   (health, docs, static pages; never under /v1)
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { isRole, type Role } from './principal.ts';

/**
 * Where the account a route acts on comes from: a request path (`params.x`, `query.x`, `body.x`) or a
 * resolver (e.g. the account of an operation looked up by id). `undefined` means "cannot tell": then only
 * principals scoped to all accounts pass, so an unknown operation id reveals nothing to scoped callers.
 */
export type AccountLocator =
  | `params.${string}`
  | `query.${string}`
  | `body.${string}`
  | ((req: FastifyRequest) => string | undefined | Promise<string | undefined>);

export interface RouteAccess {
  /** The least role that may call the route (viewer < requester < approver < admin). */
  role: Role;
  /** The account the call acts on; the principal must be scoped to it. */
  account?: AccountLocator;
  /**
   * For a resource found by id (an operation): what a caller not scoped to its account gets instead of
   * 403, the very answer an unknown id gets, so the response reveals neither existence nor account.
   */
  hidden?: (req: FastifyRequest) => Error;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    public?: boolean;
  }
}

export const BEARER_SCHEME = 'bearerAuth';

/** For the swagger options: `openapi: { components: { securitySchemes: OPENAPI_SECURITY_SCHEMES } }`. */
export const OPENAPI_SECURITY_SCHEMES = {
  [BEARER_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description:
      "An OIDC access token (JWT) from the portal's identity provider, or a service token (`twst_…`). " +
      'Roles: viewer < requester < approver < admin; requesters and approvers act only on their accounts.',
  },
} as const;

export interface RouteDeclaration {
  method: string;
  url: string;
  access: RouteAccess | 'public';
}

const REGISTRY = Symbol.for('trailwarden.routeAccess');

type WithRegistry = FastifyInstance & { [REGISTRY]?: RouteDeclaration[] };

/** Every route registered after the auth plugin, with its declaration (HEAD routes included). */
export function listRouteAccess(app: FastifyInstance): RouteDeclaration[] {
  return [...((app as WithRegistry)[REGISTRY] ?? [])];
}

export function describeAccess(access: RouteAccess | 'public'): string {
  if (access === 'public') return 'public';
  const account =
    access.account === undefined
      ? ''
      : typeof access.account === 'string'
        ? ` account=${access.account}`
        : ' account=<resolver>';
  return `role=${access.role}${account}`;
}

export function matchesPrefix(url: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => url === p || url.startsWith(p.endsWith('/') ? p : p + '/'));
}

/**
 * The onRoute check: throws (so `ready()`/`listen()` fails) when a route declares neither access nor
 * public, declares both, names an unknown role or a malformed account locator, or is public under /v1.
 * Routes of third-party plugins that cannot carry config (swagger-ui under /docs) are listed in
 * `publicPrefixes` and marked public here.
 */
export function installRouteDeclarationCheck(
  app: FastifyInstance,
  publicPrefixes: readonly string[],
  opts: { openApiSecurity?: boolean } = {},
): void {
  const registry: RouteDeclaration[] = [];
  (app as WithRegistry)[REGISTRY] = registry;
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const label = `${methods.join(',')} ${route.url}`;
    route.config = route.config ?? {};
    const config = route.config as { access?: RouteAccess; public?: boolean };
    if (!config.access && config.public !== true && matchesPrefix(route.url, publicPrefixes))
      config.public = true;
    const { access } = config;
    if (access && config.public)
      throw new Error(`route ${label} declares both config.access and config.public`);
    if (!access && config.public !== true) {
      throw new Error(
        `route ${label} declares no access: add config.access ({ role, account? }) or config.public: true`,
      );
    }
    if (config.public && (route.url === '/v1' || route.url.startsWith('/v1/'))) {
      throw new Error(`route ${label} is public, but every /v1 route needs a bearer token`);
    }
    if (access) {
      if (!isRole(access.role))
        throw new Error(`route ${label}: unknown role ${JSON.stringify(access.role)}`);
      const acc = access.account;
      if (acc !== undefined && typeof acc !== 'function' && !/^(params|query|body)\.[\w-]+$/.test(acc)) {
        throw new Error(
          `route ${label}: account must be params.<name>, query.<name>, body.<name> or a function`,
        );
      }
    }
    // The OpenAPI document shows which operations need a bearer token. Opt-in: @fastify/swagger fails
    // on a route `security` naming a scheme its options do not declare (OPENAPI_SECURITY_SCHEMES).
    if (opts.openApiSecurity && access && route.schema && !('security' in route.schema)) {
      (route.schema as Record<string, unknown>)['security'] = [{ [BEARER_SCHEME]: [] }];
    }
    for (const method of methods) registry.push({ method, url: route.url, access: access ?? 'public' });
  });
}
