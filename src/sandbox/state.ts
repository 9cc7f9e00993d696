// On-disk state of the sandbox "AWS account(s)": one JSON file per resource under
// <root>/<accountId>/<type-slug>/<region>/<encoded id>.json for regional resources and
// <root>/<accountId>/<type-slug>/<encoded id>.json for global ones (IAM, S3 bucket names), as in AWS:
// a log group named x in eu-west-1 and one in us-east-1 are two resources. Every write goes to a unique temp file in the
// same directory and is renamed into place, so concurrent provider processes (one per stack/account)
// never see a torn file. Nothing here knows about resource semantics; see resources/ for that.
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
  region?: string;
}

/**
 * Types whose ids are global in AWS: IAM (roles, their policies) and S3 (one bucket namespace;
 * bucket sub-resources are keyed by the bucket name). Every other type is regional.
 */
export function isGlobalType(type: string): boolean {
  return /^aws:(iam|s3|organizations)\//.test(type);
}

const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;

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

/**
 * Where the service keeps the sandbox state: TRAILWARDEN_SANDBOX_DIR, else DATA_DIR/sandbox/state
 * (DATA_DIR defaults to ./data), the same rule as src/engine/index.ts, so the drift tools read
 * what the service writes.
 */
export function defaultSandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TRAILWARDEN_SANDBOX_DIR || join(env.DATA_DIR || 'data', 'sandbox', 'state'));
}

export class SandboxState {
  readonly root: string;

  constructor(root: string = defaultSandboxDir()) {
    this.root = resolve(root);
  }

  private dir(accountId: string, type: string): string {
    return join(this.root, checkAccount(accountId), typeSlug(type));
  }

  private regionDir(accountId: string, type: string, region: string): string {
    if (isGlobalType(type)) return this.dir(accountId, type);
    if (!REGION_RE.test(region)) throw new Error(`invalid sandbox region ${JSON.stringify(region)}`);
    return join(this.dir(accountId, type), region);
  }

  /** The file of a resource; regional types need the region. */
  pathOf(accountId: string, type: string, id: string, region = ''): string {
    return join(this.regionDir(accountId, type, region), fileName(id));
  }

  private read(path: string): SandboxRecord | undefined {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as SandboxRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * One resource. For a regional type, pass the region; without one the id is looked up in every
   * region and must be unique there (tools and tests that name a trail by its ARN).
   */
  get(accountId: string, type: string, id: string, region?: string): SandboxRecord | undefined {
    if (isGlobalType(type)) return this.read(this.pathOf(accountId, type, id));
    if (region) {
      // Files written before the state was keyed by region sit in the type directory.
      const legacy = () => {
        const rec = this.read(join(this.dir(accountId, type), fileName(id)));
        return rec?.region === region ? rec : undefined;
      };
      return this.read(this.pathOf(accountId, type, id, region)) ?? legacy();
    }
    const found = this.list({ accountId, type }).filter((r) => r.id === id);
    if (found.length > 1) {
      throw new Error(
        `${type} ${id} exists in several regions of account ${accountId} (${found.map((r) => r.region).join(', ')}): name the region`,
      );
    }
    return found[0];
  }

  put(record: SandboxRecord): void {
    const dir = this.regionDir(record.accountId, record.type, record.region);
    mkdirSync(dir, { recursive: true });
    const target = join(dir, fileName(record.id));
    const tmp = join(dir, `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, target);
    if (!isGlobalType(record.type)) {
      // A record of the region-blind layout moves to its region's directory on its next write.
      const legacy = join(this.dir(record.accountId, record.type), fileName(record.id));
      if (this.read(legacy)?.region === record.region) rmSync(legacy, { force: true });
    }
  }

  /** Deletes a resource. Returns false when it was already gone. */
  remove(accountId: string, type: string, id: string, region?: string): boolean {
    const rec = this.get(accountId, type, id, region);
    if (!rec) return false;
    const regional = this.pathOf(accountId, type, id, rec.region);
    const path = this.read(regional) ? regional : join(this.dir(accountId, type), fileName(id));
    try {
      rmSync(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  list(filter: ListFilter = {}): SandboxRecord[] {
    const accounts = filter.accountId ? [checkAccount(filter.accountId)] : readDirs(this.root);
    const out: SandboxRecord[] = [];
    for (const accountId of accounts) {
      const accountDir = join(this.root, accountId);
      const slugs = filter.type ? [typeSlug(filter.type)] : readDirs(accountDir);
      for (const slug of slugs) {
        const slugDir = join(accountDir, slug);
        // Global types keep their files in the type directory, regional ones one level down.
        const dirs = [slugDir, ...readDirs(slugDir).map((r) => join(slugDir, r))];
        for (const dir of dirs) {
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
              if (filter.region && rec.region !== filter.region) continue;
              out.push(rec);
            } catch (err) {
              // Deleted between readdir and read by another provider process.
              if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
            }
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
  drift(accountId: string, type: string, id: string, patch: Props, region?: string): SandboxRecord {
    const rec = this.get(accountId, type, id, region);
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

/** Account ids name directories: nothing that could leave the state root. */
function checkAccount(accountId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(accountId))
    throw new Error(`invalid sandbox account id ${JSON.stringify(accountId)}`);
  return accountId;
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
