// Hardening that is not about who may call what: rate limits per principal, security headers and a
// strict CSP, request body limits, and the pino redaction of secrets.
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../errors.ts';
import { unencapsulated } from './plugin.ts';

/**
 * Paths pino must censor, on top of src/app.ts REDACT_PATHS: bearer tokens in headers wherever a request
 * or its headers are logged, service/bootstrap tokens in objects and response bodies, the passphrase and
 * webhook secrets. pino paths are exact (one `*` = one level), hence the explicit depths.
 */
export const SECRET_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'res.headers["set-cookie"]',
  'token',
  '*.token',
  '*.*.token',
  'bootstrapToken',
  '*.bootstrapToken',
  'serviceToken.token',
  'accessToken',
  '*.accessToken',
  'idToken',
  '*.idToken',
  '*.refreshToken',
  '*.sessionToken',
  'passphrase',
  '*.passphrase',
  '*.*.passphrase',
  'pulumiConfigPassphrase',
  '*.pulumiConfigPassphrase',
  '*.*.pulumiConfigPassphrase',
  'PULUMI_CONFIG_PASSPHRASE',
  '*.PULUMI_CONFIG_PASSPHRASE',
  'webhookSecret',
  '*.webhookSecret',
  '*.*.webhookSecret',
  'signingKey',
  '*.signingKey',
  '*.secret',
  '*.secrets',
  '*.password',
  '*.secretKey',
  '*.secretAccessKey',
  '*.clientSecret',
];

/** SECRET_REDACT_PATHS merged with other paths, without duplicates (pino rejects none, but keep it tidy). */
export function mergeRedactPaths(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

/** The CSP for the pages: same-origin everything, no inline scripts, no framing. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // No 'unsafe-inline' for styles either; swagger-ui's static CSP hashes cover its own inline bits.
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  scriptSrcAttr: ["'none'"],
  upgradeInsecureRequests: null,
};

export class RateLimitedError extends AppError {
  constructor(detail: string) {
    super(429, 'rate_limited', 'Too many requests', detail);
  }
}

export interface HardeningOptions {
  rateLimit: { max: number; timeWindowMs: number };
  /** Default body limit for routes that set none. */
  bodyLimitBytes: number;
  /** Send HSTS (behind TLS). Default false: the service often runs behind a TLS-terminating proxy that sets it. */
  hsts?: boolean;
}

/** Rate-limit key: the principal when authenticated (set by the auth plugin's onRequest hook), else the IP. */
export function rateLimitKey(req: FastifyRequest): string {
  return req.principal ? `p:${req.principal.id}` : `ip:${req.ip}`;
}

async function hardeningImpl(app: FastifyInstance, opts: HardeningOptions): Promise<void> {
  // Routes that do not set their own bodyLimit get the configured one.
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.bodyLimit === undefined) route.bodyLimit = opts.bodyLimitBytes;
  });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    hsts: opts.hsts ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  // The rate limit adds a route-level onRequest hook; route-level hooks run after all app-level ones, so
  // the auth plugin's hook has already set req.principal when the key is computed, whatever the order.
  await app.register(rateLimit, {
    global: true,
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.timeWindowMs,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_req, ctx) =>
      new RateLimitedError(`Rate limit of ${ctx.max} requests per ${ctx.after} exceeded; retry later.`),
  });
}

/** Register before the auth plugin (helmet's headers then reach 401/403 too) and before any route. Not encapsulated. */
export const hardeningPlugin = unencapsulated(
  hardeningImpl as FastifyPluginAsync<HardeningOptions>,
  'trailwarden-hardening',
);
