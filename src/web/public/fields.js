// Labelled form fields that know their JSON pointer, so that an error from the schema check or
// from the server's 400 answer lands next to the field it names (aria-invalid + aria-describedby).
import { h, nextId } from './dom.js';

/** @typedef {import('./types.d.ts').Issue} Issue */

/**
 * A control that can carry an error: inputs, selects, textareas and buttons (all can be disabled).
 * @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | HTMLButtonElement} Control
 */

/**
 * @typedef {object} Field
 * @property {string} key
 * @property {HTMLElement} wrapper
 * @property {Control[]} controls
 * @property {HTMLElement} error
 * @property {unknown} [describe]
 */

/**
 * An issue as placed: its field (none when no registered field matches), with a label otherwise.
 * @typedef {{ field: Field | undefined, issue: Issue, message: string, label: string | undefined }} Placed
 */

export class FieldRegistry {
  constructor() {
    /** @type {Map<string, Field>} */
    this.fields = new Map();
  }

  /**
   * key: JSON pointer into the body, or 'params:/accountId' for the path parameter.
   * @param {string} key
   * @param {Omit<Field, 'key'>} field
   */
  register(key, { wrapper, controls, error, describe }) {
    this.fields.set(key, { key, wrapper, controls, error, describe });
  }

  /** @param {string} prefix */
  unregisterPrefix(prefix) {
    for (const key of [...this.fields.keys()])
      if (key === prefix || key.startsWith(`${prefix}/`)) this.fields.delete(key);
  }

  /**
   * The field an issue belongs to: its own pointer, else the nearest registered ancestor.
   * @param {Issue} issue
   */
  find(issue) {
    let key = (issue.in ? `${issue.in}:` : '') + (issue.path || '');
    for (;;) {
      const f = this.fields.get(key);
      if (f) return f;
      const cut = key.lastIndexOf('/');
      if (cut <= 0 || key.endsWith(':')) return undefined;
      key = key.slice(0, cut);
      if (key.endsWith(':')) return undefined;
    }
  }

  clear() {
    for (const f of this.fields.values()) setFieldError(f, []);
  }

  /**
   * Shows issues beside their fields; returns [{ field, issue, message }] for the summary.
   * @param {Issue[]} issues
   * @returns {Placed[]}
   */
  show(issues) {
    this.clear();
    /** @type {Map<Field, string[]>} */
    const byField = new Map();
    /** @type {Placed[]} */
    const placed = [];
    for (const issue of issues) {
      const field = this.find(issue);
      const label = field ? undefined : issue.path || '(request)';
      const message = issue.message;
      if (field) {
        const list = byField.get(field) ?? [];
        // A message about a list item names the item (e.g. the 2nd ARN of a textarea).
        const suffix = itemSuffix(field.key, issue);
        list.push(suffix ? `${suffix}: ${message}` : message);
        byField.set(field, list);
      }
      placed.push({ field, issue, message, label });
    }
    for (const [field, messages] of byField) setFieldError(field, [...new Set(messages)]);
    return placed;
  }
}

/**
 * @param {string} key
 * @param {Issue} issue
 */
function itemSuffix(key, issue) {
  const full = (issue.in ? `${issue.in}:` : '') + issue.path;
  if (full === key || !full.startsWith(`${key}/`)) return '';
  const rest = full.slice(key.length + 1).split('/');
  const index = Number(rest[0]);
  if (rest.length === 1 && Number.isInteger(index)) return `Line ${index + 1}`;
  return rest.join(' › ');
}

/**
 * @param {Field} field
 * @param {string[]} messages
 */
function setFieldError(field, messages) {
  const { error, controls, wrapper } = field;
  error.textContent = messages.join(' ');
  error.hidden = messages.length === 0;
  wrapper.classList.toggle('has-error', messages.length > 0);
  for (const control of controls) {
    if (messages.length) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
    const ids = new Set((control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
    if (messages.length) ids.add(error.id);
    else ids.delete(error.id);
    if (ids.size) control.setAttribute('aria-describedby', [...ids].join(' '));
    else control.removeAttribute('aria-describedby');
  }
}

/** @param {...(string | null | undefined)} ids */
function describedBy(...ids) {
  const list = ids.filter(Boolean);
  return list.length ? list.join(' ') : undefined;
}

/**
 * A single control with its label, hint and error slot.
 * @param {FieldRegistry} registry
 * @param {string} key
 * @param {string} labelText
 * @param {Control} control
 * @param {{ hint?: string, optional?: boolean, extra?: HTMLElement }} [options]
 */
export function field(registry, key, labelText, control, { hint, optional = false, extra } = {}) {
  control.id ||= nextId('f');
  const hintId = hint ? nextId('hint') : undefined;
  const error = h('p', { class: 'error-message', id: nextId('err'), hidden: true });
  if (hintId)
    control.setAttribute(
      'aria-describedby',
      describedBy(control.getAttribute('aria-describedby'), hintId) ?? hintId,
    );
  const wrapper = h(
    'div',
    { class: 'field', 'data-pointer': key },
    h(
      'label',
      { for: control.id },
      labelText,
      optional ? h('span', { class: 'optional' }, ' (optional)') : null,
    ),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    error,
    control,
    extra ?? null,
  );
  registry.register(key, { wrapper, controls: [control], error });
  return wrapper;
}

/**
 * A fieldset of several controls (radios, checkboxes) under one legend, one error slot.
 * @param {FieldRegistry} registry
 * @param {string} key
 * @param {string} legendText
 * @param {import('./types.d.ts').Children[]} children
 * @param {{ hint?: string | HTMLElement, controls?: Control[], className?: string }} [options]
 */
export function group(registry, key, legendText, children, { hint, controls, className = '' } = {}) {
  const hintId = hint ? nextId('hint') : undefined;
  const error = h('p', { class: 'error-message', id: nextId('err'), hidden: true });
  const wrapper = h(
    'fieldset',
    { class: `group ${className}`.trim(), 'data-pointer': key, 'aria-describedby': hintId },
    h('legend', {}, legendText),
    hint
      ? typeof hint === 'string'
        ? h('p', { class: 'hint', id: hintId }, hint)
        : withId(hint, hintId)
      : null,
    error,
    children,
  );
  const list = controls ?? [
    .../** @type {NodeListOf<Control>} */ (wrapper.querySelectorAll('input, select, textarea')),
  ];
  registry.register(key, { wrapper, controls: list, error });
  return wrapper;
}

/**
 * @param {HTMLElement} el
 * @param {string | undefined} id
 */
function withId(el, id) {
  if (id === undefined) return el;
  el.id = id;
  return el;
}

/**
 * A checkbox or radio with its label after it.
 * @param {'checkbox' | 'radio'} type
 * @param {string} name
 * @param {string} value
 * @param {string} labelText
 * @param {{ checked?: boolean, hint?: string }} [options]
 * @returns {{ row: HTMLElement, input: HTMLInputElement }}
 */
export function choice(type, name, value, labelText, { checked = false, hint } = {}) {
  const input = h('input', { type, name, value, id: nextId(name), checked });
  const hintId = hint ? nextId('hint') : undefined;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  const row = h(
    'div',
    { class: 'choice' },
    input,
    h('label', { for: input.id }, labelText),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
  );
  return { row, input };
}

/**
 * Lines of a textarea, trimmed, without empty ones.
 * @param {HTMLTextAreaElement} textarea
 */
export function lines(textarea) {
  return textarea.value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * A whole number when the text is one; else the text itself (so the schema says what is wrong).
 * @param {HTMLInputElement} input
 * @returns {number | string | undefined}
 */
export function numberValue(input) {
  const text = input.value.trim();
  if (text === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}
