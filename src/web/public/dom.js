// Tiny DOM helpers: elements are built with h(), never from HTML strings, so text from the API is
// always text. No inline handlers or styles (the CSP forbids them): listeners via addEventListener.

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate']);

/** h('p', { class: 'x', onclick: fn }, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else if (key === 'class') el.className = value;
    else if (value === false) continue;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let uid = 0;
/** A document-unique id with a readable prefix. */
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Says something to screen readers through the page's polite live region. */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A new text node in a cleared region is announced even when the message repeats.
  queueMicrotask(() => {
    region.textContent = message;
  });
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 100) / 10;
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A value shown as compact JSON (strings unquoted when they are plain). */
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

export function badge(text, kind = text) {
  return h('span', { class: `badge badge-${String(kind).replace(/[^a-z0-9-]/gi, '')}` }, text);
}

/** Sets the page title and the main heading, and moves focus to it for screen readers. */
export function pageTitle(main, text) {
  document.title = `${text} · Trailwarden`;
  const heading = h('h1', { tabindex: '-1' }, text);
  main.append(heading);
  return heading;
}
