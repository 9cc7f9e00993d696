// A local S3 endpoint for the Pulumi state backend: moto's server (scripts/install-moto.sh installs it
// pinned into .venv/moto) on a free loopback port, in a process group of its own so that stopping it
// leaves no process behind. `.ci/run` starts one and names it in TEST_S3_ENDPOINT: then that one is
// used (tests keep to buckets of their own). Tests that need it skip when there is neither.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './service.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
export const MOTO_SERVER = join(repoRoot, '.venv', 'moto', 'bin', 'moto_server');

/** Static credentials moto accepts (any value does); never real ones. */
export const MOTO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
} as const;

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /**
   * The PULUMI_BACKEND_URL of a DIY backend in `bucket` on this endpoint: the s3blob driver's query
   * parameters (gocloud.dev/blob/s3blob URLOpener, which pulumi v3.260 uses): the endpoint, path-style
   * addressing (no bucket.<host> DNS name on loopback) and a region.
   */
  backendUrl(bucket: string, prefix?: string): string;
  /** The variables a process needs to reach it: credentials and region (the CLI inherits AWS_*). */
  env: Record<string, string>;
  createBucket(bucket: string): Promise<void>;
  /** Keys of the objects under prefix (ListObjectsV2, all pages). */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  getObject(bucket: string, key: string): Promise<string | undefined>;
  putObject(bucket: string, key: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

export function motoInstalled(): boolean {
  return !!process.env.TEST_S3_ENDPOINT || existsSync(MOTO_SERVER);
}

export async function startMoto(): Promise<MotoServer> {
  const shared = process.env.TEST_S3_ENDPOINT;
  if (shared) return client(shared, async () => undefined);
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...MOTO_CREDENTIALS },
  });
  const exited = once(child, 'exit');
  const endpoint = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => output.push(d));
  // Ready once it answers; it prints its banner before the socket listens on some versions.
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`moto_server exited:\n${output.join('')}`);
      const ok = await fetch(`${endpoint}/`).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await Promise.race([
    ready,
    exited.then(([code]) => {
      throw new Error(`moto_server exited (${code}):\n${output.join('')}`);
    }),
  ]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    await exited;
  };
  return client(endpoint, stop);
}

function client(endpoint: string, stop: () => Promise<void>): MotoServer {
  // moto does not verify signatures, but a request without an Authorization header is anonymous, and
  // anonymous reads of (private) objects are refused: an unsigned header names the test credentials.
  const authorization = `AWS4-HMAC-SHA256 Credential=${MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0`;
  const s3 = (method: string, path: string, body?: string) =>
    fetch(`${endpoint}${path}`, {
      method,
      headers: { authorization },
      ...(body === undefined ? {} : { body }),
    });
  return {
    endpoint,
    env: { ...MOTO_CREDENTIALS },
    backendUrl: (bucket, prefix = '') =>
      `s3://${bucket}${prefix ? `/${prefix}` : ''}?endpoint=${encodeURIComponent(endpoint)}&use_path_style=true&region=us-east-1`,
    async createBucket(bucket) {
      const res = await s3('PUT', `/${bucket}`);
      if (!res.ok) throw new Error(`create bucket ${bucket}: HTTP ${res.status} ${await res.text()}`);
    },
    async listKeys(bucket, prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ 'list-type': '2', prefix });
        if (token) q.set('continuation-token', token);
        const res = await s3('GET', `/${bucket}?${q}`);
        const xml = await res.text();
        if (!res.ok) throw new Error(`list ${bucket}: HTTP ${res.status} ${xml}`);
        for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(decodeXml(m[1]!));
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? decodeXml(/<NextContinuationToken>([^<]*)</.exec(xml)?.[1] ?? '')
          : undefined;
      } while (token);
      return keys;
    },
    async getObject(bucket, key) {
      const res = await s3('GET', `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`get ${key}: HTTP ${res.status}`);
      return res.text();
    },
    async putObject(bucket, key, body) {
      const res = await s3('PUT', `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`, body);
      if (!res.ok) throw new Error(`put ${key}: HTTP ${res.status} ${await res.text()}`);
    },
    stop,
  };
}

function decodeXml(s: string): string {
  return s
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}
