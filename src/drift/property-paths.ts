// Pulumi property paths as the engine writes them (PropertyPath.String()): `enableLogging`,
// `tags.env`, `advancedEventSelectors[0].fieldSelectors`, `tags["a.b"]`.

export type PathSegment = string | number;

const SIMPLE_KEY = /^[\p{L}\p{N}_$]+$/u;

/** Formats like the engine's PropertyPath.String(): `a.b[0]`, `tags["trailwarden:managed-by"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (SIMPLE_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Parses a property path as the engine writes detailedDiff keys. Throws on malformed input. */
export function parsePath(path: string): PathSegment[] {
  const segs: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path.charAt(i);
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      const close = path.charAt(i + 1) === '"' ? findQuotedEnd(path, i + 2) : path.indexOf(']', i);
      if (close < 0) throw new Error(`malformed property path: ${path}`);
      if (path.charAt(i + 1) === '"') {
        segs.push(JSON.parse(path.slice(i + 1, close + 1)) as string);
        if (path.charAt(close + 1) !== ']') throw new Error(`malformed property path: ${path}`);
        i = close + 2;
      } else {
        const inner = path.slice(i + 1, close);
        segs.push(/^\d+$/.test(inner) ? Number(inner) : inner);
        i = close + 1;
      }
      continue;
    }
    let j = i;
    while (j < path.length && path.charAt(j) !== '.' && path.charAt(j) !== '[') j++;
    segs.push(path.slice(i, j));
    i = j;
  }
  return segs;
}

function findQuotedEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\') i++;
    else if (c === '"') return i;
  }
  return -1;
}

/** Whether `prefix` is `path` or one of its ancestors (`tags` covers `tags.env` and `tags["a.b"]`). */
export function pathCovers(prefix: string, path: string): boolean {
  if (path === prefix) return true;
  if (!path.startsWith(prefix)) return false;
  const next = path.charAt(prefix.length);
  return next === '.' || next === '[';
}

/** The value at a path inside a property map; found is false when a segment does not exist. */
export function getAt(root: unknown, segs: readonly PathSegment[]): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const seg of segs) {
    if (typeof seg === 'number' && Array.isArray(cur) && seg < cur.length) cur = cur[seg];
    else if (typeof seg === 'string' && isPlainObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
