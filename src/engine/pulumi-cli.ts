// The one place that finds the Pulumi CLI. It must be exactly the version of @pulumi/pulumi
// we ship, because the Automation API and the engine speak a versioned protocol.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PulumiCommand } from '@pulumi/pulumi/automation/index.js';
import { PulumiCliMissingError } from './errors.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

/** The version pinned in package.json (dependencies['@pulumi/pulumi']). */
export function pinnedPulumiVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return pkg.dependencies['@pulumi/pulumi']!.replace(/^[^0-9]*/, '');
}

/** Where scripts/ensure-pulumi-cli.sh caches the CLI it builds. */
export function cachedCliRoot(version = pinnedPulumiVersion(), env = process.env): string {
  const cache =
    env.TRAILWARDEN_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'trailwarden');
  return join(cache, 'pulumi-cli', `v${version}`);
}

async function pulumiOnPath(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('sh', ['-c', 'command -v pulumi']);
    const bin = stdout.trim();
    return bin ? dirname(dirname(bin)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Pulumi CLI at the pinned version: PULUMI_CLI_ROOT if set, else the build cache, else a
 * `pulumi` on PATH. PulumiCommand.get checks the version and refuses any other.
 */
export async function getPulumiCommand(env = process.env): Promise<PulumiCommand> {
  const version = pinnedPulumiVersion();
  const candidates = [env.PULUMI_CLI_ROOT, cachedCliRoot(version, env), await pulumiOnPath()].filter(
    (root): root is string => !!root && existsSync(join(root, 'bin', 'pulumi')),
  );
  const errors: string[] = [];
  for (const root of candidates) {
    try {
      return await PulumiCommand.get({ root, version: await semver(version) });
    } catch (err) {
      errors.push(`${root}: ${(err as Error).message}`);
    }
  }
  throw new PulumiCliMissingError(
    `no Pulumi CLI v${version} found (${errors.join('; ') || 'none installed'}); run \`npm run pulumi-cli\` to build it`,
  );
}

async function semver(version: string) {
  // @pulumi/pulumi depends on semver; PulumiCommand.get wants its SemVer type.
  const { SemVer } = await import('semver');
  return new SemVer(version);
}
