// `npm run token`: prints the bootstrap admin token the service generated (or the file it was told
// to use), so a newcomer signs in with one command. Reads the same DATA_DIR and
// TRAILWARDEN_BOOTSTRAP_TOKEN_FILE as the service; prints nothing else to stdout.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const file =
  process.env.TRAILWARDEN_BOOTSTRAP_TOKEN_FILE ||
  path.join(path.resolve(process.env.DATA_DIR || './data'), 'secrets', 'bootstrap-token');
try {
  process.stdout.write(`${readFileSync(file, 'utf8').trim()}\n`);
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  process.stderr.write(
    code === 'ENOENT'
      ? `token: ${file} does not exist yet: start the service once (npm start), it writes the token there\n`
      : `token: cannot read ${file}: ${(err as Error).message}\n`,
  );
  process.exitCode = 1;
}
