// Reading Pulumi engine events (as the Automation API emits them) into per-resource progress.
import { member } from './api.js';

const REPLACE_STEPS = new Set(['replace', 'create-replacement', 'delete-replaced', 'discard-replaced']);
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
/** @type {readonly ['create', 'update', 'replace', 'delete']} */
export const CHANGE_KINDS = ['create', 'update', 'replace', 'delete'];

/**
 * What the pages read of a step's metadata (the Automation API's StepEventMetadata; the API documents
 * engine events only as objects, so stepOf checks what it relies on).
 * @typedef {object} StepMetadata
 * @property {string} urn
 * @property {string} type
 * @property {string} [op]
 * @property {string[]} [diffs]
 * @property {Record<string, unknown>} [detailedDiff]
 * @property {StepState} [old]
 * @property {StepState} [new]
 */

/** @typedef {{ id?: string, inputs?: unknown, outputs?: unknown }} StepState */

/**
 * A resource as the events so far show it. status: 'running' (step started), 'done', 'failed'.
 * @typedef {{ urn: string, type: string, name: string, change: string, status: ResourceStatus, diffs: string[] }} Resource
 */

/** @typedef {'running' | 'done' | 'failed'} ResourceStatus */

/** @typedef {{ severity: 'error' | 'warning', urn: unknown, message: string }} Diagnostic */

/**
 * The step metadata of an engine event of the given kind, when it has one with a URN and a type.
 * @param {unknown} event
 * @param {'resourcePreEvent' | 'resOutputsEvent' | 'resOpFailedEvent'} kind
 * @returns {StepMetadata | undefined}
 */
export function stepOf(event, kind) {
  const meta = member(member(event, kind), 'metadata');
  if (typeof member(meta, 'urn') !== 'string' || typeof member(meta, 'type') !== 'string') return undefined;
  return /** @type {StepMetadata} */ (meta);
}

/**
 * @param {unknown} urn
 * @returns {string}
 */
export function nameFromUrn(urn) {
  const parts = String(urn).split('::');
  return parts.length >= 4 ? parts.slice(3).join('::') : String(urn);
}

/** @param {string} type */
function hidden(type) {
  return !type || type === 'pulumi:pulumi:Stack' || type.startsWith('pulumi:providers:');
}

/**
 * The change a step op stands for: create, update, replace, delete, same, read, refresh…
 * @param {string | undefined} op
 * @returns {string}
 */
export function changeOf(op) {
  if (op !== undefined && REPLACE_STEPS.has(op)) return 'replace';
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
    /** @type {Map<string, Resource>} */
    this.resources = new Map();
    /** @type {Diagnostic[]} */
    this.diagnostics = [];
  }

  /**
   * Returns the resource the event touched (or undefined).
   * @param {unknown} event an engine event
   * @returns {Resource | undefined}
   */
  add(event) {
    if (!event || typeof event !== 'object') return undefined;
    const pre = stepOf(event, 'resourcePreEvent');
    if (pre && !hidden(pre.type)) return this.#touch(pre, 'running');
    const out = stepOf(event, 'resOutputsEvent');
    if (out && !hidden(out.type)) return this.#touch(out, 'done');
    const failed = stepOf(event, 'resOpFailedEvent');
    if (failed && !hidden(failed.type)) return this.#touch(failed, 'failed');
    const diag = member(event, 'diagnosticEvent');
    const severity = member(diag, 'severity');
    if (severity === 'error' || severity === 'warning') {
      const message = String(member(diag, 'message') ?? '')
        .replace(ANSI_COLOR, '')
        .replace(/<\{%[^%]*%\}>/g, '')
        .trim();
      if (message && !message.startsWith('using pulumi-resource-aws from $PATH'))
        this.diagnostics.push({ severity, urn: member(diag, 'urn'), message });
    }
    return undefined;
  }

  /**
   * @param {StepMetadata} meta
   * @param {ResourceStatus} status
   * @returns {Resource}
   */
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

  /** @returns {Resource[]} */
  list() {
    return [...this.resources.values()];
  }

  /** @returns {Resource[]} */
  changed() {
    return this.list().filter((r) => r.change !== 'same' && r.change !== 'read' && r.change !== 'refresh');
  }
}
