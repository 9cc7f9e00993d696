// Wires the engine adapter from the service configuration. Sandbox mode is chosen here and
// only here, from TRAILWARDEN_MODE: it is never a fallback for a missing AWS plugin.
import { join } from 'node:path';
import { accountTrailProgram } from '../../stacks/public.ts';
import { type Config, roleForAccount } from '../config.ts';
import { type AttachedProvider, installSandboxPlugin, startAttachedProvider } from '../sandbox/plugin.ts';
import { AccountStacks } from './account-stacks.ts';
import { heapTrimmer } from './heap-trim.ts';
import { ApiInventory } from './inventory.ts';
import { inheritableEnv, RUN_MARKER, startEngineProcesses } from './processes.ts';
import type { TrailEngine } from './types.ts';

/** `env` is only what the engine's child processes inherit; every setting comes from Config. */
export async function createEngine(
  config: Config,
  env = process.env,
  log?: { debug: (obj: object, msg?: string) => void },
): Promise<TrailEngine> {
  // Kills what an earlier run of the service left (a CLI still updating a stack after the service
  // alone was killed, plugins whose engine is gone) before recovery touches any stack.
  const processes = startEngineProcesses(config.dataDir);
  const stateDir = config.sandboxStateDir;
  const sandbox = config.sandbox
    ? {
        stateDir,
        pluginBinDir: await installSandboxPlugin(join(config.dataDir, 'sandbox', 'bin')),
        attachedProviderPort: attachedProviderStarter({
          stateDir,
          // Marked as this run's engine process: killed on close, reaped by the next start.
          env: { ...inheritableEnv(env), [RUN_MARKER]: processes.runId },
        }),
      }
    : undefined;
  return new AccountStacks({
    dataDir: config.dataDir,
    backendUrl: config.pulumiBackendUrl,
    pulumiHome: config.pulumiHome,
    passphrase: config.pulumiConfigPassphrase,
    secretsProvider: config.pulumiSecretsProvider,
    sandbox,
    assumeRoleFor: (accountId) => roleForAccount(config, accountId),
    // An organization trail is owned by the management account: its ARN names that account.
    programFor: (args) => accountTrailProgram({ ...args, managementAccountId: config.managementAccountId }),
    // One lookup path for both modes: the sandbox provider answers the same AWS lookup functions.
    inventory: new ApiInventory(),
    processes,
    childEnv: inheritableEnv(env),
    // Inline programs run in this process: their garbage is returned to the OS between operations.
    afterOperation: heapTrimmer({ rssMb: config.memoryTrimRssMb, log }),
  });
}

/**
 * One sandbox provider for the service, started on first use and again after it exited; its
 * port is what each CLI command attaches to (src/sandbox/plugin.ts startAttachedProvider).
 */
function attachedProviderStarter(opts: { stateDir: string; env: Record<string, string> }) {
  let current: Promise<AttachedProvider> | undefined;
  return async (): Promise<number> => {
    if (!current) {
      const started = startAttachedProvider(opts);
      current = started;
      started.then(
        (p) =>
          p.exited.then(() => {
            if (current === started) current = undefined;
          }),
        () => {
          if (current === started) current = undefined;
        },
      );
    }
    return (await current).port;
  };
}
