// Generated-request fuzzing of the contract: schemathesis (pinned, installed by
// scripts/install-schemathesis.sh, which .ci/run calls) reads the document the real service serves and
// drives that service process (sandbox mode, real store, real engine, authenticated with the bootstrap
// admin token) with every check on, in all four phases (examples, coverage, fuzzing, stateful). Zero
// failures, and at least 1,000 generated requests. test/contract/schemathesis.toml says which answers
// are right where a generic check cannot know it, each with its reason.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/engine.ts';
import { startService } from '../helpers/service.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const st = process.env.SCHEMATHESIS_BIN ?? join(repoRoot, '.venv', 'schemathesis', 'bin', 'st');
const MIN_REQUESTS = 1000;
// Fixed, so a CI failure can be replayed; change it to explore further.
const SEED = '20261130';

t.test('schemathesis: every check, all phases, zero failures against the served document', async (t) => {
  if (!existsSync(st)) {
    t.fail(`schemathesis is not installed: run \`bash scripts/install-schemathesis.sh\` (looked for ${st})`);
    return;
  }
  const dataDir = await tempDir(t, 'trailwarden-fuzz-');
  // Engine work is real but kept to one operation at a time; the rate limit is lifted for the run (its
  // 429 is documented on every operation; test/contract/operations.test.ts checks it is served).
  const env = { RATE_LIMIT_MAX: '1000000', MAX_CONCURRENT_OPERATIONS: '1', SHUTDOWN_TIMEOUT_MS: '1000' };
  // The free port startService picks can be taken by another process before the service binds it.
  let service = await startService(dataDir, env).catch((err: Error) => err);
  for (let i = 0; i < 2 && service instanceof Error && /EADDRINUSE/.test(service.message); i++) {
    service = await startService(dataDir, env).catch((err: Error) => err);
  }
  if (service instanceof Error) throw service;
  const running = service;
  t.teardown(() => running.stop());

  const workDir = await tempDir(t, 'trailwarden-fuzz-st-');
  const child = spawn(
    st,
    [
      '--config-file',
      join(import.meta.dirname, 'schemathesis.toml'),
      'run',
      `${service.url}/openapi.json`,
      '--header',
      `Authorization: Bearer ${service.token}`,
      '--checks',
      'all',
      '--phases',
      'examples,coverage,fuzzing,stateful',
      '--max-examples',
      '15',
      // One worker: hypothesis describes filter lambdas with ast.parse, which in threads on CPython 3.11
      // fails at random ("AST constructor recursion depth mismatch"), an error of the tool, not the API.
      '--workers',
      '1',
      '--seed',
      SEED,
      '--request-timeout',
      '60',
      '--no-color',
    ],
    // Its cache and reports go to a throwaway directory, not the repository.
    { cwd: workDir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  // The progress display redraws lines; keep the text of the final report.
  const ESC = String.fromCharCode(27);
  output = output.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g'), '').replace(/\r/g, '\n');
  const report = output.slice(Math.max(0, output.search(/^={5,} (FAILURES|SUMMARY|WARNINGS)/m)));

  const cases = /(\d+) generated/.exec(output);
  const generated = cases ? Number(cases[1]) : 0;
  const summary = output.trim().split('\n').at(-1) ?? '';
  const failures = /(\d+) failures?/.exec(summary);
  t.comment(
    `schemathesis: ${generated} generated requests, ${failures ? failures[1] : 0} failures (${summary.replace(/=/g, '').trim()})`,
  );
  t.equal(
    code,
    0,
    code === 0 ? 'schemathesis found no failure' : `schemathesis failed:\n${report || output.slice(-20000)}`,
  );
  t.notOk(failures, 'no failure in the summary');
  t.ok(generated >= MIN_REQUESTS, `${generated} requests generated (at least ${MIN_REQUESTS})`);
  for (const phase of ['Examples', 'Coverage', 'Fuzzing', 'Stateful']) {
    t.match(output, new RegExp(`✅ ${phase}`), `${phase} phase ran and passed`);
  }
});
