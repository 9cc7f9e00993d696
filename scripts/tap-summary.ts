// Reads TAP from stdin, passes it through, and prints one closing line counting every
// assertion (nested subtests flattened): `tests: N passed, N failed[, N skipped]`.
// Extra checks run before tap (lint, typecheck) are passed as `--extra-passed/--extra-failed`.
import { Parser } from 'tap-parser';

const arg = (name: string) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? 0);
const parser = new Parser({ flat: true }, (results) => {
  const passed = results.pass + arg('extra-passed');
  const failed = results.fail + arg('extra-failed') + (results.ok || results.fail > 0 ? 0 : 1);
  const skipped = results.skip + results.todo;
  process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
});
process.stdin.on('data', (chunk: Buffer) => process.stdout.write(chunk));
process.stdin.pipe(parser);
