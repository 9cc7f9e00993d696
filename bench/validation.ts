// Benchmark (not a test) of request validation: `npm run bench:validation`. Times, for the largest valid
// trail requests (bench/largest-request.ts), the route's body validator as the app compiles it
// (boundsFirst(strictValidatorCompiler) on the TrailRequest schema; the target: under 1 ms median) and,
// for information, the whole check before anything is stored (schema again, defaults, cross-field rules)
// and the rejection of hostile bodies the schema used to let through slowly (20,000 regions took 3 s
// before maxItems; JSON.parse of such a body costs about as much as its rejection now). Prints a table
// and writes JSON under bench/results/; exits 1 when the target is missed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FastifySchema } from 'fastify';
import { checkTrailRequest } from '../src/accounts/validate-trail-request.ts';
import { boundsFirst } from '../src/auth/hardening.ts';
import { strictValidatorCompiler } from '../src/openapi/validator.ts';
import { resolveTrailRequest } from '../src/trail-request/resolve.ts';
import { AWS_REGIONS, TrailRequestSchema } from '../src/trail-request/schema.ts';
import { alarmCatalog } from '../stacks/alarms/catalog.ts';
import { largestValidRequests } from './largest-request.ts';

const TARGET_MS = 1;
const ACCOUNT = '999988887777';
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);

// The compiler as src/app.ts sets it: size bounds first, then TypeBox.
const validate = (
  boundsFirst(strictValidatorCompiler) as unknown as (o: {
    schema: FastifySchema;
    httpPart: string;
  }) => (v: unknown) => { value?: unknown; error?: unknown[] }
)({ schema: TrailRequestSchema as FastifySchema, httpPart: 'body' });

function time(fn: () => void): { medianMs: number; p99Ms: number; maxMs: number } {
  for (let i = 0; i < 30; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return {
    medianMs: samples[Math.floor(samples.length / 2)]!,
    p99Ms: samples[Math.floor(samples.length * 0.99)]!,
    maxMs: samples.at(-1)!,
  };
}

interface Row {
  case: string;
  /** Held to TARGET_MS. */
  target: boolean;
  bytes: number;
  accepted: boolean;
  errors: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}
const rows: Row[] = [];

function bench(name: string, body: unknown, full: boolean, target = false): void {
  const parsed = () => JSON.parse(JSON.stringify(body)) as unknown;
  const input = parsed();
  const result = validate(input);
  const accepted = result.error === undefined;
  const run = full
    ? () => {
        const r = validate(input);
        if (r.error) return;
        const spec = resolveTrailRequest(input);
        checkTrailRequest(spec, {
          accountId: ACCOUNT,
          managementAccountId: ACCOUNT,
          alarmCatalog,
          externalTrails: [],
        });
      }
    : () => validate(input);
  rows.push({
    case: name,
    target,
    bytes: Buffer.byteLength(JSON.stringify(body)),
    accepted,
    errors: result.error?.length ?? 0,
    ...time(run),
  });
}

for (const { name, body } of largestValidRequests()) {
  const issues = checkTrailRequest(resolveTrailRequest(body), {
    accountId: ACCOUNT,
    managementAccountId: ACCOUNT,
    alarmCatalog,
    externalTrails: [],
  });
  if (issues.length > 0) throw new Error(`${name} is not valid: ${JSON.stringify(issues.slice(0, 3))}`);
  bench(`largest valid, ${name}: body schema`, body, false, true);
  bench(`largest valid, ${name}: schema, defaults and rules`, body, true);
}

const hostile: [string, unknown][] = [
  [
    '20,000 regions',
    { homeRegion: 'us-east-1', regions: Array.from({ length: 20000 }, (_, i) => AWS_REGIONS[i % 29]) },
  ],
  [
    '20,000 tags',
    {
      homeRegion: 'us-east-1',
      tags: Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`k${i}`, 'v'])),
    },
  ],
  [
    '10,000 ARNs in one scope',
    {
      homeRegion: 'us-east-1',
      dataEvents: [
        { kind: 's3-object', resources: Array.from({ length: 10000 }, (_, i) => `arn:aws:s3:::b/${i}`) },
      ],
    },
  ],
  [
    '10,000 invalid emails',
    {
      homeRegion: 'us-east-1',
      alarms: { notify: { emails: Array.from({ length: 10000 }, (_, i) => `x${i}`) } },
    },
  ],
];
for (const [name, body] of hostile) bench(`hostile, rejected: ${name}`, body, false);

const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `${pad('case', 78)} ${pad('bytes', 8)} ${pad('ok', 5)} ${pad('errors', 6)} median ms  p99 ms  max ms`,
);
for (const r of rows) {
  console.log(
    `${pad(r.case, 78)} ${pad(String(r.bytes), 8)} ${pad(r.accepted ? 'yes' : 'no', 5)} ${pad(String(r.errors), 6)} ` +
      `${r.medianMs.toFixed(3).padStart(9)} ${r.p99Ms.toFixed(3).padStart(7)} ${r.maxMs.toFixed(3).padStart(7)}`,
  );
}
const slow = rows.filter((r) => r.target && r.medianMs >= TARGET_MS);
console.log(
  slow.length === 0
    ? `the largest valid requests validate in under ${TARGET_MS} ms (median)`
    : `OVER ${TARGET_MS} ms: ${slow.map((r) => r.case).join('; ')}`,
);

const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}validation-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: cpus().length, iterations: ITERATIONS, targetMs: TARGET_MS, rows }, null, 2)}\n`,
);
console.log(`wrote ${file}`);
if (slow.length > 0) process.exitCode = 1;
