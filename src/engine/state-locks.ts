// The lock objects of a stack that does not exist yet. The DIY backend's CreateStack takes the stack's
// lock before it writes the first checkpoint (pkg/backend/diy/backend.go CreateStack in v3.260: Lock,
// then saveStack, then a deferred Unlock), so a process killed in between leaves a lock and no stack.
// `pulumi cancel` cannot remove it (it loads the stack first) and every later `stack init` fails with
// "the stack is currently locked", so the account would never converge. Recovery runs only when the
// lock's owner is gone (restart or expired lease), so it removes them itself, from the backend's
// storage: files under a file:// root, objects in an s3:// bucket.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** Lock files of a stack in a DIY file:// backend (under its state root). */
export async function fileLocks(stateRoot: string, stackFqn: string): Promise<string[]> {
  const dir = join(stateRoot, ...lockDirOf(stackFqn));
  return (await readdir(dir).catch(() => [] as string[])).map((n) => join(dir, n));
}

/** `.pulumi/locks/<org>/<project>/<stack>`: where the DIY backend keeps a stack's locks. */
function lockDirOf(stackFqn: string): string[] {
  return ['.pulumi', 'locks', ...stackFqn.split('/')];
}

/**
 * Removes every lock of `stackFqn` (org/project/stack); resolves with how many were removed. `env`
 * is what the engine's CLI processes get (their AWS credentials and region, if set there).
 */
export async function removeStackLocks(
  backendUrl: string,
  stackFqn: string,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  if (backendUrl.startsWith('file://')) {
    const locks = await fileLocks(backendUrl.slice('file://'.length), stackFqn);
    for (const lock of locks) await rm(lock, { force: true });
    return locks.length;
  }
  if (backendUrl.startsWith('s3://'))
    return removeS3Locks(new URL(backendUrl), lockDirOf(stackFqn).join('/'), env);
  throw new Error(
    `cannot remove stack locks on this backend (${new URL(backendUrl).protocol}); use its own tools`,
  );
}

/**
 * The s3blob URL's own parameters (gocloud.dev/blob/s3blob, as the CLI reads them): `region`,
 * `endpoint`, `use_path_style` (or the older `s3ForcePathStyle`); the path is a key prefix.
 * Credentials: the CLI's static ones when its environment has them, else the default chain (web
 * identity, instance role), which the CLI would use too. Needs s3:ListBucket (ListObjectsV2,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html) and s3:DeleteObject.
 */
async function removeS3Locks(
  url: URL,
  lockDir: string,
  env: Record<string, string | undefined>,
): Promise<number> {
  const q = url.searchParams;
  const region = q.get('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const client = new S3Client({
    ...(region ? { region } : {}),
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    ...(q.get('endpoint') ? { endpoint: q.get('endpoint')! } : {}),
    forcePathStyle: q.get('use_path_style') === 'true' || q.get('s3ForcePathStyle') === 'true',
  });
  const prefix = `${[url.pathname.replace(/^\/+|\/+$/g, ''), lockDir].filter(Boolean).join('/')}/`;
  try {
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: url.hostname, Prefix: prefix, ContinuationToken: token }),
      );
      for (const { Key } of page.Contents ?? []) {
        if (!Key) continue;
        await client.send(new DeleteObjectCommand({ Bucket: url.hostname, Key }));
        removed++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  } finally {
    client.destroy();
  }
}
