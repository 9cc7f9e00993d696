// Installs the sandbox provider as an ambient `pulumi-resource-aws` plugin. The Pulumi engine
// (sdk/go/common/workspace/plugins.go, GetPluginPath) prefers a `pulumi-resource-<name>` found on
// $PATH over the plugin cache unless PULUMI_IGNORE_AMBIENT_PLUGINS is set, and the engine's
// pre-install step (pkg/engine/plugins.go) counts such a plugin as installed. So putting the
// returned directory first on the Pulumi CLI's PATH is all sandbox mode needs.
import { spawn } from 'node:child_process';
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

export interface AttachedProvider {
  /** The port the engine attaches to: PULUMI_DEBUG_PROVIDERS=aws:<port>. */
  readonly port: number;
  readonly pid: number;
  /** Resolves when the process has exited (killed, crashed, or its parent gone). */
  readonly exited: Promise<void>;
  stop(): void;
}

/**
 * Starts the sandbox provider once, as a long-running gRPC server the Pulumi engine attaches to
 * (PULUMI_DEBUG_PROVIDERS=aws:<port>; sdk/go/common/resource/plugin/provider_plugin.go NewProvider
 * dials the port instead of starting a plugin, and "kills" nothing when done). One process then
 * serves every operation: no Node start (≈ 0.2 s, 0.26 CPU-s) per operation, twice per
 * `up --refresh`. The account of each engine connection comes from its provider's URN (provider.ts).
 * `env` is all the process gets (the engine's allow-list and run marker, src/engine/processes.ts);
 * it exits by itself when its parent, the service, is gone.
 */
export async function startAttachedProvider(opts: {
  stateDir: string;
  env: Record<string, string>;
}): Promise<AttachedProvider> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', SANDBOX_PLUGIN_MAIN], {
    env: { ...opts.env, TRAILWARDEN_SANDBOX_DIR: resolve(opts.stateDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  // The SDK's main() prints the port it listens on as its first line of output.
  const port = await new Promise<number>((done, fail) => {
    let out = '';
    const onData = (d: string) => {
      out += d;
      const line = /^(\d+)\s*\n/.exec(out);
      if (!line) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      done(Number(line[1]));
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('error', fail);
    void exited.then(() => fail(new Error(`the sandbox provider exited before listening: ${stderr.trim()}`)));
  });
  return {
    port,
    pid: child.pid as number,
    exited,
    stop: () => {
      child.kill('SIGKILL');
    },
  };
}
