// On-disk state of the sandbox "AWS account(s)": one JSON file per resource under
// <root>/<accountId>/<type-slug>/<encoded id>.json. Every write goes to a unique temp file in the
// same directory and is renamed into place, so concurrent provider processes (one per stack/account)
// never see a torn file. Nothing here knows about resource semantics; see resources.ts for that.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type Props = Record<string, unknown>;

export interface SandboxRecord {
  type: string;
  id: string;
  accountId: string;
  region: string;
  inputs: Props;
  outputs: Props;
}

export interface ListFilter {
  accountId?: string;
  type?: string;
}

/** `aws:s3/bucketPolicy:BucketPolicy` -> `s3.bucketPolicy`: a readable, filesystem-safe directory name. */
export function typeSlug(type: string): string {
  const m = /^aws:([^:]+):([^:]+)$/.exec(type);
  const raw = m ? m[1]!.replace(/\//g, '.') : type;
  return raw.replace(/[^A-Za-z0-9._-]/g, '_');
}

function fileName(id: string): string {
  // Ids may be ARNs (colons, slashes); encodeURIComponent keeps them reversible and path-safe.
  return `${encodeURIComponent(id).replace(/^\.+/, (dots) => '%2E'.repeat(dots.length))}.json`;
}

/** Where the service keeps the sandbox state (src/engine/index.ts): DATA_DIR/sandbox/state. */
export function defaultSandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TRAILWARDEN_SANDBOX_DIR || join(env.DATA_DIR || 'data', 'sandbox', 'state'));
}

export class SandboxState {
  readonly root: string;

  constructor(root: string = defaultSandboxDir()) {
    this.root = resolve(root);
  }

  private dir(accountId: string, type: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(accountId))
      throw new Error(`invalid sandbox account id ${JSON.stringify(accountId)}`);
    return join(this.root, accountId, typeSlug(type));
  }

  pathOf(accountId: string, type: string, id: string): string {
    return join(this.dir(accountId, type), fileName(id));
  }

  get(accountId: string, type: string, id: string): SandboxRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.pathOf(accountId, type, id), 'utf8')) as SandboxRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  put(record: SandboxRecord): void {
    const dir = this.dir(record.accountId, record.type);
    mkdirSync(dir, { recursive: true });
    const target = join(dir, fileName(record.id));
    const tmp = join(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, target);
  }

  /** Deletes a resource. Returns false when it was already gone. */
  remove(accountId: string, type: string, id: string): boolean {
    const path = this.pathOf(accountId, type, id);
    try {
      rmSync(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  list(filter: ListFilter = {}): SandboxRecord[] {
    const accounts = filter.accountId ? [filter.accountId] : readDirs(this.root);
    const out: SandboxRecord[] = [];
    for (const accountId of accounts) {
      const accountDir = join(this.root, accountId);
      const slugs = filter.type ? [typeSlug(filter.type)] : readDirs(accountDir);
      for (const slug of slugs) {
        const dir = join(accountDir, slug);
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          continue;
        }
        for (const name of names.sort()) {
          if (!name.endsWith('.json') || name.startsWith('.')) continue;
          try {
            const rec = JSON.parse(readFileSync(join(dir, name), 'utf8')) as SandboxRecord;
            if (filter.type && rec.type !== filter.type) continue;
            out.push(rec);
          } catch (err) {
            // Deleted between readdir and read by another provider process.
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        }
      }
    }
    return out;
  }

  /**
   * Changes a resource behind the engine's back, as someone in the AWS console would. The patch is
   * applied to the recorded outputs and inputs alike (a `null` value deletes the property), so a
   * refresh reports the changed inputs. Returns the new record.
   */
  drift(accountId: string, type: string, id: string, patch: Props): SandboxRecord {
    const rec = this.get(accountId, type, id);
    if (!rec) throw new Error(`no sandbox resource ${type} ${id} in account ${accountId}`);
    const oldTags = (rec.inputs.tags ?? {}) as Props;
    for (const [key, value] of Object.entries(patch)) {
      if (value === null || value === undefined) {
        delete rec.inputs[key];
        delete rec.outputs[key];
      } else {
        rec.inputs[key] = value;
        rec.outputs[key] = value;
      }
    }
    if ('tags' in patch && rec.outputs.tagsAll && typeof rec.outputs.tagsAll === 'object') {
      // tagsAll = provider default tags + resource tags: keep the default-tag part, swap the rest.
      const tagsAll = { ...(rec.outputs.tagsAll as Props) };
      for (const key of Object.keys(oldTags)) delete tagsAll[key];
      rec.outputs.tagsAll = { ...tagsAll, ...((patch.tags ?? {}) as Props) };
    }
    this.put(rec);
    return rec;
  }
}

function readDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
