// Tiny DOM helpers: elements are built with h(), never from HTML strings, so text from the API is
// always text. No inline handlers or styles (the CSP forbids them): listeners via addEventListener.

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate']);

/**
 * An attribute (or, for PROPS, a property) value: null, undefined and false leave it out, true sets
 * it empty; a function under an `on…` key is a listener.
 * @typedef {string | number | boolean | null | undefined | ((event: Event) => void)} AttrValue
 */

/** @typedef {import('./types.d.ts').Children} Children */

/**
 * h('p', { class: 'x', onclick: fn }, 'text', child)
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue> | null} [attrs]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    // A property of some element types only (value, checked…): set as the element has it.
    else if (PROPS.has(key)) Reflect.set(el, key, value);
    else if (key === 'class') el.className = String(value);
    else if (value === false) continue;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @template {Element} E
 * @param {E} el
 * @param {Children[]} children
 * @returns {E}
 */
export function append(el, children) {
  // Depth first, as children.flat(Infinity) would, typed without its deep FlatArray type.
  for (const child of children) {
    if (Array.isArray(child)) append(el, child);
    else if (child === undefined || child === null || child === false) continue;
    else el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/**
 * @template {Element} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  el.replaceChildren();
  return el;
}

let uid = 0;
/**
 * A document-unique id with a readable prefix.
 * @param {string} prefix
 */
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * Says something to screen readers through the page's polite live region.
 * @param {string} message
 */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A new text node in a cleared region is announced even when the message repeats.
  queueMicrotask(() => {
    region.textContent = message;
  });
}

/**
 * @param {string | null | undefined} iso
 * @returns {string}
 */
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** @param {number | null | undefined} ms */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 100) / 10;
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * A value shown as compact JSON (strings unquoted when they are plain).
 * @param {unknown} value
 * @returns {string}
 */
export function showValue(value) {
  if (value === null || value === undefined) return '(absent)';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  return JSON.stringify(value);
}

/**
 * A table's header row: one column heading per name.
 * @param {string[]} columns
 */
export function tableHead(columns) {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      columns.map((t) => h('th', { scope: 'col' }, t)),
    ),
  );
}

/**
 * @param {string} text
 * @param {string} [kind] the style (badge-<kind>), the text by default
 */
export function badge(text, kind = text) {
  return h('span', { class: `badge badge-${String(kind).replace(/[^a-z0-9-]/gi, '')}` }, text);
}

/**
 * Sets the page title and the main heading, and moves focus to it for screen readers.
 * @param {HTMLElement} main
 * @param {string} text
 */
export function pageTitle(main, text) {
  document.title = `${text} · Trailwarden`;
  const heading = h('h1', { tabindex: '-1' }, text);
  main.append(heading);
  return heading;
}
