// Wires the engine adapter from the service configuration. Sandbox mode is chosen here and
// only here, from TRAILWARDEN_MODE: it is never a fallback for a missing AWS plugin.
import { join } from 'node:path';
import { accountTrailProgram } from '../../stacks/program.ts';
import { type Config, roleForAccount } from '../config.ts';
import { installSandboxPlugin } from '../sandbox/plugin.ts';
import { AccountStacks } from './account-stacks.ts';
import { ApiInventory } from './inventory.ts';
import { inheritableEnv, startEngineProcesses } from './processes.ts';
import type { TrailEngine } from './types.ts';

/** `env` is only what the engine's child processes inherit; every setting comes from Config. */
export async function createEngine(config: Config, env = process.env): Promise<TrailEngine> {
  const sandbox = config.sandbox
    ? {
        stateDir: config.sandboxStateDir,
        pluginBinDir: await installSandboxPlugin(join(config.dataDir, 'sandbox', 'bin')),
      }
    : undefined;
  // Kills what an earlier run of the service left (a CLI still updating a stack after the service
  // alone was killed, plugins whose engine is gone) before recovery touches any stack.
  const processes = startEngineProcesses(config.dataDir);
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
  });
}
