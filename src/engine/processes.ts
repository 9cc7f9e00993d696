// The engine's child processes: what environment they get, and making sure none outlives us.
//
// The Automation API runs the CLI through execa, which merges the whole process.env into the
// child's environment; service secrets (WEBHOOK_SECRET, DATABASE_URL, OIDC settings, tokens) would
// then reach `pulumi` and every provider plugin it starts. `explicitEnvCommand` wraps the
// PulumiCommand so the CLI gets exactly the allow-listed variables plus the workspace's own.
//
// Every CLI we start carries TRAILWARDEN_ENGINE_RUN=<run id> in its environment, and its provider
// plugins inherit it. A run file under DATA_DIR records the run id, so the next start can find and
// kill what a killed service left behind (plugins live in process groups of their own, so a kill of
// the service's group does not reach them). Linux: processes are found through /proc.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import type { PulumiCommand } from '@pulumi/pulumi/automation/index.js';

interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

// The Automation API's own result and error types (its CommandResult constructor is not public in
// the typings), so the stack maps our failures exactly as it maps its own (ConcurrentUpdateError...).
const require = createRequire(import.meta.url);
const { CommandResult: Result } = require('@pulumi/pulumi/automation/cmd.js') as {
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => CommandResult;
};
const { createCommandError } = require('@pulumi/pulumi/automation/errors.js') as {
  createCommandError: (result: CommandResult) => Error;
};

/** The environment variable that marks the engine processes of one service run. */
export const RUN_MARKER = 'TRAILWARDEN_ENGINE_RUN';

// What the CLI and the plugins may see from the service's environment. Everything else (service
// secrets, database URLs, tokens, OIDC settings) stays in the service.
const ALLOWED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  // The sandbox plugin's own settings (README: src/sandbox).
  'TRAILWARDEN_SANDBOX_DIR',
]);
// The AWS SDK's credential chain (the aws provider and an s3:// state backend need it) and the
// CLI's own settings. PULUMI_CONFIG_PASSPHRASE(_FILE) is set by the workspace, never inherited.
const ALLOWED_PREFIXES = ['AWS_', 'PULUMI_'];
const NEVER = new Set(['PULUMI_CONFIG_PASSPHRASE', 'PULUMI_CONFIG_PASSPHRASE_FILE']);

/** The part of `env` a CLI or plugin process may inherit. */
export function inheritableEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || NEVER.has(k)) continue;
    if (ALLOWED.has(k) || ALLOWED_PREFIXES.some((p) => k.startsWith(p))) out[k] = v;
  }
  return out;
}

export interface EngineProcesses {
  readonly runId: string;
  /** Kills every process of this run (CLIs and their plugins). Returns the pids signalled. */
  killAll(): number[];
}

/**
 * A PulumiCommand whose `run` spawns the CLI with exactly `base` + the workspace's variables, and
 * the run marker; the rest of the object (command path, version) is the original's.
 */
export function explicitEnvCommand(
  command: PulumiCommand,
  base: Record<string, string>,
  runId: string,
  /** Variables known only when a command starts (the port of an attached provider). */
  atStart?: () => Promise<Record<string, string>>,
): PulumiCommand {
  const wrapped = Object.create(command) as PulumiCommand & {
    run: (
      args: string[],
      cwd: string,
      additionalEnv: Record<string, string>,
      onOutput?: (data: string) => void,
      onError?: (data: string) => void,
      signal?: AbortSignal,
    ) => Promise<CommandResult>;
  };
  wrapped.run = async (args, cwd, additionalEnv, onOutput, onError, signal) => {
    if (!args.includes('--non-interactive')) args.push('--non-interactive');
    const env: Record<string, string> = {
      ...base,
      ...additionalEnv,
      ...(atStart ? await atStart() : {}),
      [RUN_MARKER]: runId,
    };
    // As the Automation API does: the CLI's own directory first, for its bundled plugins.
    if (isAbsolute(command.command))
      env.PATH = `${dirname(command.command)}:${additionalEnv.PATH ?? base.PATH ?? ''}`;
    env.PULUMI_AUTOMATION_API = 'true';
    return runCli(command.command, args, cwd, env, onOutput, onError, signal);
  };
  return wrapped;
}

function runCli(
  file: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  onOutput?: (data: string) => void,
  onError?: (data: string) => void,
  signal?: AbortSignal,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      onOutput?.(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onError?.(d);
    });
    // As the Automation API: SIGINT asks the CLI to cancel the update and release its lock.
    const onAbort = () => child.kill('SIGINT');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(createCommandError(new Result('', err.message, -2, err)));
    });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      const result = new Result(stdout, stderr, code ?? -2);
      if (code === 0) resolve(result);
      else reject(createCommandError(result));
    });
  });
}

/** Pids (other than ours) whose environment carries RUN_MARKER=<runId>. */
export function processesOfRun(runId: string): number[] {
  const needle = `${RUN_MARKER}=${runId}`;
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (environ.split('\0').includes(needle)) out.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

function killPids(pids: number[]): number[] {
  const killed: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  return killed;
}

interface RunFile {
  runId: string;
  pid: number;
  startedAt: string;
}

/**
 * Starts this service run's process bookkeeping: kills what earlier runs recorded under
 * `<dataDir>/run/` left behind (their CLIs and plugins), then records this run.
 */
export function startEngineProcesses(
  dataDir: string,
  log?: { warn: (obj: object, msg?: string) => void },
): EngineProcesses & { reaped: number[] } {
  const dir = join(dataDir, 'run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'engine.json');
  const reaped: number[] = [];
  try {
    const previous = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
    if (previous.runId) {
      const left = processesOfRun(previous.runId);
      if (left.length) {
        reaped.push(...killPids(left));
        log?.warn(
          { runId: previous.runId, pids: reaped },
          'killed engine processes left behind by an earlier run',
        );
      }
    }
  } catch {
    // no earlier run recorded
  }
  const runId = randomUUID();
  const record: RunFile = { runId, pid: process.pid, startedAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return {
    runId,
    reaped,
    killAll: () => killPids(processesOfRun(runId)),
  };
}
