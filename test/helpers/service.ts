// Runs the real service (`node src/main.ts`) as a child process in sandbox mode, for tests
// that must see it as its users do, restarts and crashes included.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const repoRoot = join(import.meta.dirname, '..', '..');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface RunningService {
  url: string;
  /** The bearer token `fetch` sends: TRAILWARDEN_TEST_TOKEN when given, else the bootstrap admin token. */
  token: string;
  process: ChildProcess;
  /** Log lines (pino JSON) seen so far. */
  logs: string[];
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** SIGKILL: no shutdown hook runs, as in a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The bootstrap admin token of the service on dataDir: written once to dataDir/test-bootstrap-token
 * and handed over with TRAILWARDEN_BOOTSTRAP_TOKEN_FILE, so a restart on the same directory keeps it.
 */
function bootstrapTokenFile(dataDir: string): { file: string; token: string } {
  const file = join(dataDir, 'test-bootstrap-token');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return { file, token: readFileSync(file, 'utf8').trim() };
}

export async function startService(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const port = await freePort();
  const bootstrap = bootstrapTokenFile(dataDir);
  const child = spawn(process.execPath, [join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRAILWARDEN_SANDBOX: 'true',
      PULUMI_CONFIG_PASSPHRASE: 'e2e-passphrase',
      LOG_LEVEL: 'info',
      TRAILWARDEN_BOOTSTRAP_TOKEN_FILE: bootstrap.file,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = once(child, 'exit');
  const listening = new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        if (line.includes('trailwarden listening')) resolve();
      });
    }
    void exited.then(([code]) =>
      reject(new Error(`service exited (${code}) before listening:\n${logs.join('\n')}`)),
    );
  });
  await listening;
  const url = `http://127.0.0.1:${port}`;
  const token = env.TRAILWARDEN_TEST_TOKEN ?? bootstrap.token;
  const headers = { authorization: `Bearer ${token}` };
  return {
    url,
    token,
    process: child,
    logs,
    fetch: (path, init = {}) =>
      fetch(url + path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } }),
    async kill() {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Reads an operation's server-sent events until the stream ends (the operation ended). */
export async function followEvents(
  service: RunningService,
  operationId: string,
  onEvent: (event: { id?: string; event?: string; data: unknown }) => boolean | undefined = () => undefined,
): Promise<void> {
  const res = await service.fetch(`/v1/operations/${operationId}/events`, {
    headers: { accept: 'text/event-stream' },
  });
  if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: { id?: string; event?: string; data: unknown } = { data: undefined };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('id:')) event.id = line.slice(3).trim();
        else if (line.startsWith('event:')) event.event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length) {
        const text = data.join('\n');
        try {
          event.data = JSON.parse(text);
        } catch {
          event.data = text;
        }
        // The callback returns true to stop reading early.
        if (onEvent(event)) {
          await res.body.cancel().catch(() => undefined);
          return;
        }
      }
      end = buffer.indexOf('\n\n');
    }
  }
}
