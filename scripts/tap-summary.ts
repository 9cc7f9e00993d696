// Reads TAP from stdin, passes it through, and prints one closing line counting every
// assertion of every (nested) subtest: `tests: N passed, N failed[, N skipped]`. A subtest's
// own summary line is not counted again. Checks run before tap (lint, typecheck) are added
// with `--extra-passed=N --extra-failed=N`.
import { Parser, type Result } from 'tap-parser';

const arg = (name: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? 0);
let passed = arg('extra-passed');
let failed = arg('extra-failed');
let skipped = 0;
const parser = new Parser();

// Counts the leaf assertions under one parser and returns how many of them failed. A subtest's
// own summary point is not counted, unless it failed with no failing assertion inside (a crash,
// a timeout, a plan mismatch).
function attach(p: Parser, onDone: (failures: number) => void = () => undefined): void {
  let failures = 0;
  let childFailures: number | undefined;
  p.on('child', (child: Parser) => {
    childFailures = undefined;
    attach(child, (n) => {
      childFailures = n;
      failures += n;
    });
  });
  p.on('assert', (a: Result) => {
    const summaryOf = childFailures;
    childFailures = undefined;
    if (summaryOf !== undefined || a.name === p.name) {
      if (!a.ok && !a.todo && (summaryOf ?? 0) === 0) {
        failed++;
        failures++;
      }
      return;
    }
    if (a.skip || a.todo) skipped++;
    else if (a.ok) passed++;
    else {
      failed++;
      failures++;
    }
  });
  p.on('complete', () => onDone(failures));
}
attach(parser);
// The contract fuzz (test/contract/fuzz.test.ts) reports its request count in a comment; repeat it by the totals.
let fuzzLine = '';
let partial = '';
const scanForFuzz = (chunk: Buffer) => {
  const lines = (partial + chunk.toString('utf8')).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    const m = /# (schemathesis: \d+ generated requests, \d+ failures.*)$/.exec(line);
    if (m) fuzzLine = m[1]!;
  }
};
parser.on('complete', (results: { ok: boolean; bailout: unknown }) => {
  if (fuzzLine) process.stdout.write(`${fuzzLine}\n`);
  // A run that crashed or bailed out counts as a failure even when no assertion failed.
  if ((!results.ok || results.bailout) && failed === 0) failed = 1;
  process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
});
process.stdin.on('data', (chunk: Buffer) => {
  scanForFuzz(chunk);
  process.stdout.write(chunk);
});
process.stdin.pipe(parser);
