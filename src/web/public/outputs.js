// Stack outputs as a readable table: one row per value (nested maps such as trail ARNs by region
// become one row each), every ARN linked to its page in the AWS console.
import { member } from './api.js';
import { h, showValue, tableHead } from './dom.js';

/** @type {Record<string, string>} */
const CONSOLE = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/**
 * The AWS console page of an ARN, when we know the service's page; else null.
 * @param {string} arn
 * @returns {string | null}
 */
export function consoleUrl(arn) {
  const m = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d*):(.+)$/.exec(String(arn));
  if (!m) return null;
  const [, partition = '', service, region, , resource = ''] = m;
  const host = CONSOLE[partition];
  if (!host) return null;
  const r = region ? `${region}.${host}` : host;
  const q = region ? `?region=${region}` : '';
  const enc = encodeURIComponent;
  switch (service) {
    case 'cloudtrail':
      return `https://${r}/cloudtrailv2/home${q}#/trails/${enc(arn)}`;
    case 's3':
      return `https://${host}/s3/buckets/${enc(resource.split('/')[0])}`;
    case 'kms':
      return resource.startsWith('key/')
        ? `https://${r}/kms/home${q}#/kms/keys/${enc(resource.slice(4))}`
        : null;
    case 'logs': {
      const name = /^log-group:([^:]+)/.exec(resource)?.[1];
      return name ? `https://${r}/cloudwatch/home${q}#logsV2:log-groups/log-group/${enc(enc(name))}` : null;
    }
    case 'sns':
      return `https://${r}/sns/v3/home${q}#/topic/${enc(arn)}`;
    case 'iam':
      return resource.startsWith('role/')
        ? `https://${host}/iam/home#/roles/details/${enc(resource.slice(resource.lastIndexOf('/') + 1))}`
        : null;
    case 'events':
      return resource.startsWith('rule/')
        ? `https://${r}/events/home${q}#/rules/${enc(resource.slice(5))}`
        : null;
    case 'cloudwatch':
      return resource.startsWith('alarm:')
        ? `https://${r}/cloudwatch/home${q}#alarmsV2:alarm/${enc(resource.slice(6))}`
        : null;
    default:
      return null;
  }
}

/**
 * One [label, value] row per leaf of nested maps (labels joined with spaces).
 * @param {string} prefix
 * @param {unknown} value
 * @returns {[string, unknown][]}
 */
function rows(prefix, value) {
  if (value && typeof value === 'object' && !Array.isArray(value))
    return Object.keys(value)
      .sort()
      .flatMap((k) => rows(prefix ? `${prefix} ${k}` : k, member(value, k)));
  return [[prefix, value]];
}

/** @param {unknown} value */
function cell(value) {
  if (typeof value === 'string' && value.startsWith('arn:')) {
    const url = consoleUrl(value);
    return url
      ? h(
          'a',
          { href: url, rel: 'noopener noreferrer', target: '_blank', class: 'arn' },
          h('code', {}, value),
        )
      : h('code', {}, value);
  }
  return h('code', {}, showValue(value));
}

/**
 * opts.sandbox: the ARNs exist only in the sandbox; say so next to the links.
 * @param {Record<string, unknown> | undefined} outputs
 * @param {{ id?: string, sandbox?: boolean }} [opts]
 */
export function outputsTable(outputs, { id, sandbox = false } = {}) {
  const list = rows('', outputs ?? {});
  const wrap = h('div', { class: 'table-wrap' });
  wrap.append(
    h(
      'table',
      { class: 'outputs-table', ...(id ? { id } : {}) },
      h('caption', { class: 'visually-hidden' }, 'Outputs'),
      tableHead(['Output', 'Value']),
      h(
        'tbody',
        {},
        list.map(([k, v]) =>
          h('tr', { 'data-output': k }, h('th', { scope: 'row' }, k), h('td', {}, cell(v))),
        ),
      ),
    ),
  );
  if (sandbox)
    wrap.append(
      h(
        'p',
        { class: 'hint' },
        'Sandbox: these resources exist only in the sandbox; the console links show where they would be in AWS.',
      ),
    );
  return wrap;
}

/** @typedef {import('./types.d.ts').Settings} Settings */

/** @type {Promise<Settings | { mode: null }> | undefined} */
let settingsPromise;
/**
 * /assets/settings.json, once per page; { mode: null } when it cannot be read.
 * @returns {Promise<Settings | { mode: null }>}
 */
export function settings() {
  settingsPromise ??= fetch('/assets/settings.json', { headers: { accept: 'application/json' } })
    .then((r) => /** @type {Promise<Settings>} */ (r.json()))
    .catch(() => ({ mode: null }));
  return settingsPromise;
}
