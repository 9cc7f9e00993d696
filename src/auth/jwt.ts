// OIDC access tokens (JWT) from the portal's identity provider, verified with jose against the
// configured JWKS (remote URL with caching/rotation, or a local document), issuer, audience and expiry.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { OidcConfig } from './config.ts';
import { UnauthorizedError } from './errors.ts';
import { isRole, type Principal } from './principal.ts';

/** Asymmetric algorithms only: an HMAC "JWKS" would let anyone who sees the key mint tokens. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** A claim by name; a dotted name (`realm_access.roles`) walks nested objects. */
function claim(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** An array of strings, or one string with space/comma separated values. */
function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

export function principalFromClaims(payload: JWTPayload, oidc: OidcConfig): Principal {
  const sub = payload.sub!;
  const name = claim(payload, oidc.nameClaim);
  return {
    id: `oidc:${sub}`,
    kind: 'oidc',
    name: typeof name === 'string' && name ? name : sub,
    roles: [...new Set(stringList(claim(payload, oidc.rolesClaim)).filter(isRole))],
    accounts: [...new Set(stringList(claim(payload, oidc.accountsClaim)))],
  };
}

function reason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `The token's "${err.claim}" claim is not accepted.`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature does not verify.';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'The token is not signed by a known key.';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The token algorithm is not allowed.';
  return 'The token is not valid.';
}

export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

/** Failures that are ours (identity provider unreachable), not the caller's: worth a warning. */
function isJwksTrouble(err: unknown): boolean {
  return err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError);
}

export function createJwtVerifier(
  oidc: OidcConfig,
  opts: { getKey?: JWTVerifyGetKey; log?: { warn(obj: object, msg: string): void } } = {},
): JwtVerifier {
  const getKey: JWTVerifyGetKey =
    opts.getKey ??
    (oidc.jwksUrl
      ? createRemoteJWKSet(new URL(oidc.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30000 })
      : createLocalJWKSet(oidc.jwks as Parameters<typeof createLocalJWKSet>[0]));
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, getKey, {
          issuer: oidc.issuer,
          audience: oidc.audience,
          algorithms: JWT_ALGORITHMS,
          clockTolerance: oidc.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        });
        return principalFromClaims(payload, oidc);
      } catch (err) {
        // A JWKS endpoint that cannot be reached is our problem, not the caller's: still 401, but logged
        // for the operator (the error names the JWKS URL, never the token).
        if (isJwksTrouble(err)) {
          const e = err as Error & { code?: string };
          opts.log?.warn(
            { error: { name: e.name, code: e.code, message: e.message } },
            'cannot verify OIDC tokens: JWKS unavailable',
          );
        }
        throw new UnauthorizedError(reason(err));
      }
    },
  };
}
