// Service tokens for automation: `twst_<id>_<secret>`, shown once, stored only as a SHA-256 hash,
// compared in constant time, revocable, always expiring. Plus the bootstrap admin token of a fresh install.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDirectory } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { Principal } from './principal.ts';

export const SERVICE_TOKEN_PREFIX = 'twst_';
export const TOKEN_SHAPE = /^twst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function isServiceTokenShaped(token: string): boolean {
  return token.startsWith(SERVICE_TOKEN_PREFIX);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two hex SHA-256 digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

export function generateServiceToken(): { id: string; token: string } {
  const id = randomBytes(8).toString('hex');
  return { id, token: `${SERVICE_TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}` };
}

export const BOOTSTRAP_PRINCIPAL: Principal = {
  id: 'svc:bootstrap',
  kind: 'bootstrap',
  name: 'bootstrap admin',
  roles: ['admin'],
  accounts: ['*'],
};

/** Only the hash of the bootstrap token is kept in memory. */
export interface BootstrapCredential {
  hash: string;
  /** Where the token is; safe to log (the token is not). */
  file: string;
  /** The file was created by this call. */
  created: boolean;
}

/**
 * The bootstrap admin token: read from `tokenFile` (TRAILWARDEN_BOOTSTRAP_TOKEN_FILE), or generated once
 * into DATA_DIR/secrets/bootstrap-token (mode 0600) and reused after that. Never logs or returns the token.
 */
export function resolveBootstrapToken(opts: {
  tokenFile: string | undefined;
  dataDir: string;
}): BootstrapCredential {
  if (opts.tokenFile) {
    let token: string;
    try {
      token = readFileSync(opts.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError([
        `TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: cannot read ${opts.tokenFile}: ${(err as Error).message}`,
      ]);
    }
    if (token.length < 32)
      throw new ConfigError(['TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: token shorter than 32 characters']);
    return { hash: hashToken(token), file: opts.tokenFile, created: false };
  }
  const file = path.join(opts.dataDir, 'secrets', 'bootstrap-token');
  ensurePrivateDirectory(path.dirname(file));
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return { hash: hashToken(readFileSync(file, 'utf8').trim()), file, created: false };
  }
  const token = `${SERVICE_TOKEN_PREFIX}bootstrap_${randomBytes(32).toString('base64url')}`;
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return { hash: hashToken(readFileSync(file, 'utf8').trim()), file, created: false };
    }
    throw err;
  }
  chmodSync(file, 0o600);
  return { hash: hashToken(token), file, created: true };
}
