// The one place that finds the Pulumi CLI. It must be exactly the version of @pulumi/pulumi
// we ship, because the Automation API and the engine speak a versioned protocol.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
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

/** The version of the `aws` resource plugin the program needs: dependencies['@pulumi/aws']. */
export function pinnedAwsPluginVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return pkg.dependencies['@pulumi/aws']!.replace(/^[^0-9]*/, '');
}

/** Where scripts/ensure-pulumi-cli.sh caches the CLI it builds. */
export function cachedCliRoot(version = pinnedPulumiVersion(), env = process.env): string {
  const cache =
    env.TRAILWARDEN_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'trailwarden');
  return join(cache, 'pulumi-cli', `v${version}`);
}

async function onPath(): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)('sh', ['-c', 'command -v pulumi']);
    return stdout.trim() !== '';
  } catch {
    return false;
  }
}

/**
 * The Pulumi CLI at the pinned version: PULUMI_CLI_ROOT if set, else the build cache, else a
 * `pulumi` on PATH. A root is a directory with `bin/pulumi` (what PulumiCommand.get runs); the
 * official release tarball puts the binary at `pulumi/pulumi`, so an image either unpacks it into
 * `<root>/bin` (our Dockerfile) or puts its directory on PATH. The version must equal the pin:
 * PulumiCommand.get alone accepts any newer one.
 */
export async function getPulumiCommand(env = process.env): Promise<PulumiCommand> {
  const version = pinnedPulumiVersion();
  const errors: string[] = [];
  const tries: { label: string; root: string | undefined }[] = [];
  for (const root of [env.PULUMI_CLI_ROOT, cachedCliRoot(version, env)]) {
    if (!root) continue;
    if (existsSync(join(root, 'bin', 'pulumi'))) tries.push({ label: root, root });
    else if (root === env.PULUMI_CLI_ROOT)
      errors.push(
        existsSync(join(root, 'pulumi'))
          ? `PULUMI_CLI_ROOT=${root} has the release layout (${root}/pulumi); the CLI must be at ${root}/bin/pulumi`
          : `PULUMI_CLI_ROOT=${root} has no bin/pulumi`,
      );
  }
  if (await onPath()) tries.push({ label: 'pulumi on PATH', root: undefined });
  for (const { label, root } of tries) {
    try {
      const cmd = await PulumiCommand.get({ ...(root ? { root } : {}), version: await semver(version) });
      const found = cmd.version?.toString();
      if (found === version) return cmd;
      errors.push(`${label}: version ${found ?? 'unknown'}, expected ${version}`);
    } catch (err) {
      errors.push(`${label}: ${(err as Error).message}`);
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
