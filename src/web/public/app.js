// Entry point: the sign-in box (a bearer token kept in sessionStorage) and the page router.
import { renderAccountPage } from './account.js';
import { renderAccountsPage } from './accounts.js';
import { describeError, token } from './api.js';
import { renderApprovalsPage } from './approvals.js';
import { announce, clear, h } from './dom.js';
import { renderFleetPage } from './fleet.js';
import { renderRequestPage } from './form.js';
import { renderOperationPage } from './operation.js';

/**
 * An element of the page shell (index.html), which always has it.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function shell(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html has no ${type.name} #${id}`);
  return el;
}

function setUpSignIn() {
  const details = shell('sign-in', HTMLDetailsElement);
  const summary = shell('sign-in-summary', HTMLElement);
  const form = shell('sign-in-form', HTMLFormElement);
  const input = shell('token-input', HTMLInputElement);
  const signOut = shell('sign-out', HTMLButtonElement);
  const refresh = () => {
    const signedIn = Boolean(token.get());
    summary.textContent = signedIn ? 'Signed in' : 'Sign in';
    signOut.hidden = !signedIn;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) {
      input.focus();
      return;
    }
    token.set(value);
    input.value = '';
    details.open = false;
    refresh();
    announce('Token saved for this tab. Reloading the page.');
    location.reload();
  });
  signOut.addEventListener('click', () => {
    token.clear();
    details.open = false;
    refresh();
    announce('Signed out');
  });
  refresh();
}

/**
 * A page: the path it answers, the navigation link it marks current, and how it renders.
 * @typedef {{ pattern: RegExp, nav: string, render: (main: HTMLElement, m: RegExpExecArray) => Promise<void> }} Route
 */

/** @type {Route[]} */
const ROUTES = [
  { pattern: /^\/$/, nav: 'request', render: (main) => renderRequestPage(main) },
  { pattern: /^\/accounts\/?$/, nav: 'accounts', render: (main) => renderAccountsPage(main) },
  { pattern: /^\/drift\/?$/, nav: 'drift', render: (main) => renderFleetPage(main) },
  { pattern: /^\/approvals\/?$/, nav: 'approvals', render: (main) => renderApprovalsPage(main) },
  {
    pattern: /^\/accounts\/([^/]+)\/?$/,
    nav: 'accounts',
    render: (main, m) => renderAccountPage(main, decodeURIComponent(m[1] ?? '')),
  },
  {
    pattern: /^\/operations\/([^/]+)\/?$/,
    nav: 'accounts',
    render: (main, m) => renderOperationPage(main, decodeURIComponent(m[1] ?? '')),
  },
];

async function route() {
  const main = shell('main', HTMLElement);
  clear(main);
  for (const r of ROUTES) {
    const m = r.pattern.exec(location.pathname);
    if (!m) continue;
    for (const link of document.querySelectorAll('[data-nav]')) {
      if (!(link instanceof HTMLElement)) continue;
      if (link.dataset.nav === r.nav) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    try {
      await r.render(main, m);
    } catch (err) {
      main.append(
        h('p', { class: 'notice error', role: 'alert' }, `This page could not load: ${describeError(err)}`),
      );
    }
    document.body.dataset.ready = 'true';
    return;
  }
  main.append(h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/' }, 'Request a trail')));
  document.body.dataset.ready = 'true';
}

/** The mode banner on every page: sandbox mode says plainly that AWS is not touched. */
async function showMode() {
  const banner = shell('mode-banner', HTMLElement);
  try {
    const res = await fetch('/assets/settings.json', { headers: { accept: 'application/json' } });
    const settings = /** @type {import('./types.d.ts').Settings} */ (await res.json());
    if (settings.notice) {
      banner.textContent = settings.notice;
      banner.hidden = false;
      document.body.dataset.mode = settings.mode;
    }
  } catch {
    // The pages work without it; /readyz reports the mode too.
  }
}

setUpSignIn();
void showMode();
void route();
