// Installs the sandbox provider as an ambient `pulumi-resource-aws` plugin. The Pulumi engine
// (sdk/go/common/workspace/plugins.go, GetPluginPath) prefers a `pulumi-resource-<name>` found on
// $PATH over the plugin cache unless PULUMI_IGNORE_AMBIENT_PLUGINS is set, and the engine's
// pre-install step (pkg/engine/plugins.go) counts such a plugin as installed. So putting the
// returned directory first on the Pulumi CLI's PATH is all sandbox mode needs.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSandboxDir } from './state.ts';

export const SANDBOX_PLUGIN_MAIN = fileURLToPath(new URL('./provider/main.ts', import.meta.url));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface InstallOptions {
  /**
   * State root used when the Pulumi CLI's environment has no TRAILWARDEN_SANDBOX_DIR (the engine
   * starts plugins in the project's work dir, where a relative default would land). Defaults to
   * TRAILWARDEN_SANDBOX_DIR or ./data/sandbox, resolved now.
   */
  sandboxDir?: string;
}

/** Writes `<binDir>/pulumi-resource-aws` that runs the sandbox provider on this Node binary. */
export async function installSandboxPlugin(binDir: string, opts: InstallOptions = {}): Promise<string> {
  await mkdir(binDir, { recursive: true });
  const fallbackDir = resolve(opts.sandboxDir ?? defaultSandboxDir());
  const script = [
    '#!/bin/sh',
    '# Trailwarden sandbox mode: stands in for pulumi-resource-aws (see src/sandbox/README.md).',
    `TRAILWARDEN_SANDBOX_DIR="\${TRAILWARDEN_SANDBOX_DIR:-${fallbackDir.replace(/["\\$`]/g, '\\$&')}}"`,
    'export TRAILWARDEN_SANDBOX_DIR',
    `exec ${quote(process.execPath)} --disable-warning=ExperimentalWarning ${quote(SANDBOX_PLUGIN_MAIN)} "$@"`,
    '',
  ].join('\n');
  const target = join(binDir, 'pulumi-resource-aws');
  // Unique temp name: several stacks may install into the same directory at once.
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, script);
  await chmod(tmp, 0o755);
  await rename(tmp, target);
  return binDir;
}

/**
 * Alternative to PATH: Pulumi.yaml `plugins.providers` entries are consulted before ambient
 * plugins (so this works with PULUMI_IGNORE_AMBIENT_PLUGINS=true) and do not produce the engine's
 * "using pulumi-resource-aws from $PATH" warning. Merge into the workspace's projectSettings
 * (the Automation API's ProjectSettings type does not declare `plugins`, but it is written to
 * Pulumi.yaml as given). No version: it then stands in for every @pulumi/aws version.
 */
export function sandboxProjectPlugins(binDir: string): { providers: { name: string; path: string }[] } {
  return { providers: [{ name: 'aws', path: binDir }] };
}
