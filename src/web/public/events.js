// Reading Pulumi engine events (as the Automation API emits them) into per-resource progress.

const REPLACE_STEPS = new Set(['replace', 'create-replacement', 'delete-replaced', 'discard-replaced']);
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
export const CHANGE_KINDS = ['create', 'update', 'replace', 'delete'];

export function nameFromUrn(urn) {
  const parts = String(urn).split('::');
  return parts.length >= 4 ? parts.slice(3).join('::') : String(urn);
}

function hidden(type) {
  return !type || type === 'pulumi:pulumi:Stack' || type.startsWith('pulumi:providers:');
}

/** The change a step op stands for: create, update, replace, delete, same, read, refresh… */
export function changeOf(op) {
  if (REPLACE_STEPS.has(op)) return 'replace';
  if (op === 'create' || op === 'update' || op === 'delete' || op === 'same') return op;
  if (op === 'import' || op === 'import-replacement') return 'create';
  return op ?? 'same';
}

/**
 * Resources by URN with their change and status, fed one engine event at a time.
 * status: 'running' (step started), 'done', 'failed'.
 */
export class ResourceProgress {
  constructor() {
    this.resources = new Map();
    this.diagnostics = [];
  }

  /** Returns the resource the event touched (or undefined). */
  add(event) {
    if (!event || typeof event !== 'object') return undefined;
    const pre = event.resourcePreEvent?.metadata;
    if (pre && !hidden(pre.type)) return this.#touch(pre, 'running');
    const out = event.resOutputsEvent?.metadata;
    if (out && !hidden(out.type)) return this.#touch(out, 'done');
    const failed = event.resOpFailedEvent?.metadata;
    if (failed && !hidden(failed.type)) return this.#touch(failed, 'failed');
    const diag = event.diagnosticEvent;
    if (diag && (diag.severity === 'error' || diag.severity === 'warning')) {
      const message = String(diag.message ?? '')
        .replace(ANSI_COLOR, '')
        .replace(/<\{%[^%]*%\}>/g, '')
        .trim();
      if (message && !message.startsWith('using pulumi-resource-aws from $PATH'))
        this.diagnostics.push({ severity: diag.severity, urn: diag.urn, message });
    }
    return undefined;
  }

  #touch(meta, status) {
    const existing = this.resources.get(meta.urn);
    const change = changeOf(meta.op);
    const r = existing ?? {
      urn: meta.urn,
      type: meta.type,
      name: nameFromUrn(meta.urn),
      change,
      status,
      diffs: [],
    };
    // A replacement is several steps on one URN: keep 'replace' once seen.
    if (existing && r.change !== 'replace' && change !== 'same') r.change = change;
    if (!(r.status === 'failed')) r.status = status;
    const diffs = meta.diffs ?? (meta.detailedDiff ? Object.keys(meta.detailedDiff) : []);
    for (const d of diffs) if (!d.startsWith('__') && !r.diffs.includes(d)) r.diffs.push(d);
    this.resources.set(meta.urn, r);
    return r;
  }

  list() {
    return [...this.resources.values()];
  }

  changed() {
    return this.list().filter((r) => r.change !== 'same' && r.change !== 'read' && r.change !== 'refresh');
  }
}
