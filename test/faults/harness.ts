// Runs the service as a deployment runs it for the fault suite: in a process group of its own
// (detached), so a kill of the group takes the service and the CLIs it started, as `docker kill`, an
// OOM kill of the cgroup or a node loss do. Provider plugins live in groups of their own (the
// engine starts them so); they must go by themselves once their engine is gone.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processesOfRun } from '../../src/engine/processes.ts';
import { SandboxState } from '../../src/sandbox/state.ts';
import { freePort, type RunningService } from '../helpers/service.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

export interface GroupService extends RunningService {
  /** The run id the service marks its engine processes with (DATA_DIR/run/engine.json). */
  runId: string;
  /** SIGKILL to the whole process group; resolves once the service process is gone. */
  killGroup(): Promise<void>;
}

export async function startGroupService(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<GroupService> {
  const port = await freePort();
  const tokenFile = join(dataDir, 'test-bootstrap-token');
  if (!existsSync(tokenFile))
    writeFileSync(tokenFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  const token = readFileSync(tokenFile, 'utf8').trim();
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    detached: true,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRAILWARDEN_SANDBOX: 'true',
      PULUMI_CONFIG_PASSPHRASE: 'fault-passphrase',
      LOG_LEVEL: 'info',
      TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: tokenFile,
      RECONCILE_CRON: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        // Kept beside the data, for a look after a failed run.
        appendFileSync(join(dataDir, 'service.log'), `${line}\n`);
        if (line.includes('trailwarden listening')) resolve();
      });
    }
    void exited.then(([code]) => reject(new Error(`service exited (${code}):\n${logs.join('\n')}`)));
  });
  const runId = (JSON.parse(readFileSync(join(dataDir, 'run', 'engine.json'), 'utf8')) as { runId: string })
    .runId;
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${token}` };
  const signalGroup = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, signal);
    } catch {
      return;
    }
    await exited;
  };
  return {
    url,
    token,
    runId,
    process: child,
    logs,
    fetch: (path, init = {}) =>
      fetch(url + path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } }),
    killGroup: () => signalGroup('SIGKILL'),
    kill: () => signalGroup('SIGKILL'),
    stop: () => signalGroup('SIGTERM'),
  };
}

/**
 * Waits until no process of the run is left (plugins notice their engine is gone within a second).
 * Returns the pids still alive when the bound is reached: the caller asserts it is empty.
 */
export async function processesGone(runId: string, boundMs = 15_000): Promise<number[]> {
  const until = Date.now() + boundMs;
  let left = processesOfRun(runId);
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = processesOfRun(runId);
  }
  return left;
}

/** The environments (NUL-separated) of the run's live processes. */
export function environmentsOfRun(runId: string): { pid: number; env: string[] }[] {
  return processesOfRun(runId).flatMap((pid) => {
    try {
      return [{ pid, env: readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0') }];
    } catch {
      return [];
    }
  });
}

/** `type id` of every aws resource in the stack's checkpoint (DIY backend under DATA_DIR/state). */
export function stackResources(dataDir: string, accountId: string): string[] {
  const file = join(dataDir, 'state', '.pulumi', 'stacks', 'trailwarden', `${accountId}.json`);
  if (!existsSync(file)) return [];
  const checkpoint = JSON.parse(readFileSync(file, 'utf8')) as {
    checkpoint?: { latest?: { resources?: { type: string; id?: string; custom?: boolean }[] } };
  };
  return (checkpoint.checkpoint?.latest?.resources ?? [])
    .filter((r) => r.custom && r.type.startsWith('aws:') && r.id)
    .map((r) => `${r.type} ${r.id}`)
    .sort();
}

/** `type id` of every resource the sandbox account holds. */
export function sandboxResources(dataDir: string, accountId: string): string[] {
  return new SandboxState(join(dataDir, 'sandbox', 'state'))
    .list({ accountId })
    .map((r) => `${r.type} ${r.id}`)
    .sort();
}
