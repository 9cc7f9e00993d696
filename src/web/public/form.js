// The request form: builds a trail request from the controls, checks it with the API's own schema
// (from /openapi.json), PUTs it, runs a preview, shows the planned changes and asks before applying.
import { ApiError, api, describeError, followOperation } from './api.js';
import { renderCoverage, showRequestCoverage } from './coverage.js';
import { announce, clear, h, nextId, pageTitle } from './dom.js';
import { ResourceProgress } from './events.js';
import { choice, FieldRegistry, field, group, lines, numberValue } from './fields.js';
import { changeTotal, confirmNotes, loadPlan, renderPlan } from './plan.js';
import { enumOf, formSchemas, subschema, validate } from './schema.js';

/** @typedef {import('./schema.js').Schema} Schema */
/** @typedef {import('./types.d.ts').TrailRequest} TrailRequest */
/** @typedef {import('./types.d.ts').AlarmSet} AlarmSet */
/** @typedef {import('./types.d.ts').Issue} Issue */
/** @typedef {import('./types.d.ts').Operation} Operation */
/** @typedef {import('./fields.js').Field} Field */
/** @typedef {Pick<import('./types.d.ts').Settings, 'organizationTrailAccountId'>} FormSettings */

/**
 * The request body as the controls hold it, before the schema check: any value may still be wrong.
 * @typedef {Record<string, unknown>} Draft
 */

/**
 * A data event scope being edited; its controls (…El) exist once the rows are rendered.
 * @typedef {object} DataRow
 * @property {unknown} kind
 * @property {boolean} all
 * @property {string} arns
 * @property {unknown} access
 * @property {HTMLSelectElement} [kindEl]
 * @property {HTMLInputElement} [allEl]
 * @property {HTMLTextAreaElement} [arnsEl]
 * @property {HTMLSelectElement} [accessEl]
 */

/**
 * @param {unknown[]} values
 * @param {unknown} selected
 * @param {Record<string, string>} [labels]
 */
function options(values, selected, labels = {}) {
  return values.map((v) =>
    h(
      'option',
      { value: String(v), selected: String(v) === String(selected) },
      labels[String(v)] ?? String(v),
    ),
  );
}

/**
 * @param {Schema | undefined} s
 * @param {string} [unit]
 */
function rangeHint(s, unit = 'days') {
  if (!s) return undefined;
  const parts = [];
  if (s.minimum !== undefined && s.maximum !== undefined) parts.push(`${s.minimum}–${s.maximum} ${unit}`);
  if (s.default !== undefined) parts.push(`default ${s.default}`);
  return parts.join(', ');
}

/** @param {HTMLElement} main */
export async function renderRequestPage(main) {
  const heading = pageTitle(main, 'Request a CloudTrail trail');
  main.append(
    h(
      'p',
      { class: 'lead' },
      'Describe the trail your account needs. You will see exactly what changes before anything is applied.',
    ),
  );
  const status = h('div', { class: 'page-status' });
  main.append(status);

  /** @type {import('./schema.js').FormSchemas} */
  let schemas;
  /** @type {AlarmSet[]} */
  let alarmSets = [];
  /** @type {FormSettings} */
  let settings = { organizationTrailAccountId: null };
  try {
    const [s, sets, cfg] = await Promise.all([
      formSchemas(),
      api('/v1/alarm-sets').then(
        (r) => /** @type {import('./types.d.ts').Answer<'listAlarmSets'>} */ (r.data).items,
        (err) => {
          status.append(
            h(
              'p',
              { class: 'notice', role: 'alert' },
              `Alarm sets could not be loaded: ${describeError(err)}`,
            ),
          );
          return [];
        },
      ),
      api('/assets/settings.json').then(
        (r) => /** @type {FormSettings} */ (r.data),
        () => settings,
      ),
    ]);
    schemas = s;
    alarmSets = sets;
    settings = cfg;
  } catch (err) {
    status.append(
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        `The form could not load the API description: ${describeError(err)}`,
      ),
    );
    return;
  }
  const form = new RequestForm(schemas, alarmSets, settings);
  main.append(form.element, form.previewPanel);

  const params = new URLSearchParams(location.search);
  const account = params.get('account');
  if (account) await form.load(account);
  heading.focus();
}

/**
 * The version being edited, as the last GET or PUT answered it.
 * @typedef {{ accountId: string, etag: string, specVersion: number, spec: TrailRequest }} Loaded
 */

/** @typedef {{ row: HTMLElement, input: HTMLInputElement }} Choice */

class RequestForm {
  // Controls the section builders create (declared here for the type check).
  /** @type {HTMLInputElement} */ regionsAll;
  /** @type {HTMLInputElement} */ regionsChosen;
  /** @type {HTMLElement} */ regionList;
  /** @type {Choice} */ orgTrail;
  /** @type {HTMLElement} */ orgIdField;
  /** @type {Choice} */ mgmtRead;
  /** @type {Choice} */ mgmtWrite;
  /** @type {Choice} */ lockOn;
  /** @type {HTMLElement} */ lockFields;
  /** @type {HTMLDivElement} */ summary;
  /** @type {HTMLElement} */ coverageBox;
  /** @type {HTMLButtonElement} */ submit;
  /** @type {HTMLInputElement} */ accountInput;
  /** @type {HTMLParagraphElement} */ existingNote;
  /** @type {HTMLSelectElement} */ homeRegion;
  /** @type {Choice[]} */ regionChecks;
  /** @type {HTMLInputElement} */ orgId;
  /** @type {HTMLElement} */ orgSection;
  /** @type {HTMLDivElement} */ dataList;
  /** @type {HTMLButtonElement} */ addDataButton;
  /** @type {Choice[]} */ insightChecks;
  /** @type {HTMLSelectElement} */ alarmSet;
  /** @type {HTMLDivElement} */ alarmEntries;
  /** @type {HTMLTextAreaElement} */ emails;
  /** @type {HTMLTextAreaElement} */ https;
  /** @type {HTMLInputElement} */ archive;
  /** @type {HTMLInputElement} */ expire;
  /** @type {HTMLSelectElement} */ cwl;
  /** @type {HTMLSelectElement} */ lockMode;
  /** @type {HTMLInputElement} */ lockDays;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ coverageTimer;
  /** @type {AbortController | undefined} */ coverageAbort;
  /** @type {Set<string> | undefined} alarm ids of the last coverage report */ coverageIds;

  /**
   * @param {import('./schema.js').FormSchemas} schemas
   * @param {AlarmSet[]} alarmSets
   * @param {FormSettings} settings
   */
  constructor(schemas, alarmSets, settings) {
    this.schemas = schemas;
    this.doc = schemas.doc;
    this.tr = schemas.trailRequest;
    this.alarmSets = alarmSets;
    this.settings = settings;
    this.fields = new FieldRegistry();
    /** @type {DataRow[]} */
    this.dataRows = [];
    /** @type {Loaded | null} */
    this.loaded = null;
    this.busy = false;
    /** @type {{ accountId: string, previewId: string } | null} */
    this.plan = null;
    /** @type {Set<string>} */
    this.acknowledged = new Set(); // alarm ids whose gaps the user accepts (acknowledgedGaps)
    this.element = this.#build();
    this.#refreshCoverage();
    this.previewPanel = h('section', {
      class: 'preview',
      id: 'preview',
      'aria-labelledby': 'preview-title',
      hidden: true,
    });
  }

  /**
   * The TrailRequest subschema at these property names ('*': array items).
   * @param {...string} keys
   */
  sub(...keys) {
    return subschema(this.doc, this.tr, ...keys);
  }

  #build() {
    const form = h('form', { id: 'request-form', class: 'request-form', novalidate: true });
    this.summary = h('div', {
      class: 'error-summary',
      id: 'error-summary',
      tabindex: '-1',
      hidden: true,
      role: 'alert',
    });
    // Built in this order: the sections register their fields, and the error summary lists them so.
    form.append(
      this.summary,
      this.#accountSection(),
      this.#organizationSection(),
      this.#eventsSection(),
      this.#alarmsSection(),
      this.#retentionSection(),
    );
    this.coverageBox = h('section', { class: 'card coverage', id: 'request-coverage' });
    form.append(this.coverageBox);
    this.submit = h('button', { type: 'submit', class: 'primary', id: 'preview-button' }, 'Preview changes');
    form.append(
      h(
        'div',
        { class: 'form-actions' },
        this.submit,
        h('p', { class: 'hint' }, 'Saves the request and shows what would change. Nothing is applied yet.'),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.preview();
    });
    form.addEventListener('input', () => this.#invalidatePlan());
    form.addEventListener('change', () => this.#invalidatePlan());
    form.addEventListener('change', (e) => {
      if (!this.coverageBox.contains(e.target instanceof Node ? e.target : null)) this.#refreshCoverage();
    });
    return form;
  }

  /** The account, its home region and the regions the trail records. */
  #accountSection() {
    const f = this.fields;
    const acc = this.schemas.accountId;
    this.accountInput = h('input', {
      type: 'text',
      name: 'accountId',
      inputmode: 'numeric',
      autocomplete: 'off',
      spellcheck: 'false',
      required: true,
      'aria-required': 'true',
      class: 'input-account',
    });
    this.accountInput.addEventListener('input', () => this.#updateOrgOffer());
    this.existingNote = h('p', { class: 'note', hidden: true });
    const regionValues = enumOf(this.doc, this.sub('homeRegion'));
    this.homeRegion = h(
      'select',
      { name: 'homeRegion', required: true, 'aria-required': 'true' },
      options(regionValues, 'eu-west-1'),
    );

    const regionsSchema = this.sub('regions');
    const all = choice('radio', 'regionsMode', 'all', 'All regions (one multi-region trail)', {
      checked: true,
    });
    const chosen = choice('radio', 'regionsMode', 'chosen', 'Only the regions I choose');
    this.regionsAll = all.input;
    this.regionsChosen = chosen.input;
    this.regionChecks = regionValues.map((r) => choice('checkbox', 'region', String(r), String(r)));
    this.regionList = h(
      'div',
      { class: 'region-list', hidden: true },
      this.regionChecks.map((c) => c.row),
    );
    for (const input of [all.input, chosen.input])
      input.addEventListener('change', () => this.#toggleRegions());

    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'sec-account' },
      h('h2', { id: 'sec-account' }, 'Account and regions'),
      field(f, 'params:/accountId', 'AWS account id', this.accountInput, {
        hint: `${acc.description ?? '12 digits'}, for example ${acc.example ?? '123456789012'}`,
        extra: this.existingNote,
      }),
      field(f, '/homeRegion', 'Home region', this.homeRegion, {
        hint: 'Where the trail, its log bucket and its alarms live.',
      }),
      group(f, '/regions', 'Regions recorded', [all.row, chosen.row, this.regionList], {
        hint: regionsSchema?.description ? sentence(regionsSchema.description) : undefined,
        className: 'regions',
      }),
    );
  }

  /** The organization trail: offered only to the account the settings allow (#updateOrgOffer). */
  #organizationSection() {
    const f = this.fields;
    this.orgTrail = choice('checkbox', 'organizationTrail', 'true', 'Make this an organization trail', {
      hint: 'Records every account of the organization. Only the management account can have one.',
    });
    this.orgId = h('input', {
      type: 'text',
      name: 'organizationId',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    this.orgIdField = field(f, '/organizationId', 'Organization id', this.orgId, {
      hint: sentence(this.sub('organizationId')?.description ?? 'For example o-abc123def4'),
    });
    this.orgIdField.hidden = true;
    this.orgTrail.input.addEventListener('change', () => {
      this.orgIdField.hidden = !this.orgTrail.input.checked;
    });
    this.orgSection = h(
      'section',
      { class: 'card', 'aria-labelledby': 'sec-org', hidden: true },
      h('h2', { id: 'sec-org' }, 'Organization'),
      group(f, '/organizationTrail', 'Organization trail', [this.orgTrail.row]),
      this.orgIdField,
    );
    return this.orgSection;
  }

  /** Management events, data event scopes and CloudTrail Insights. */
  #eventsSection() {
    const f = this.fields;
    this.mgmtRead = choice('checkbox', 'mgmtRead', 'read', 'Read events (Describe…, List…, Get…)', {
      checked: true,
    });
    this.mgmtWrite = choice('checkbox', 'mgmtWrite', 'write', 'Write events (Create…, Delete…, Put…)', {
      checked: true,
    });
    this.dataList = h('div', { class: 'data-rows' });
    const maxScopes = this.sub('dataEvents')?.maxItems ?? 20;
    this.addDataButton = h(
      'button',
      { type: 'button', class: 'secondary', id: 'add-data-scope' },
      'Add a data event scope',
    );
    this.addDataButton.addEventListener('click', () => {
      this.#readDataRows();
      this.dataRows.push({
        kind: enumOf(this.doc, this.sub('dataEvents', '*', 'kind'))[0],
        all: false,
        arns: '',
        access: 'all',
      });
      this.#renderDataRows(this.dataRows.length - 1);
      this.addDataButton.disabled = this.dataRows.length >= maxScopes;
      announce(`Data event scope ${this.dataRows.length} added`);
    });
    const insightValues = enumOf(this.doc, this.sub('insights'));
    /** @type {Record<string, string>} */
    const insightLabels = {
      ApiCallRateInsight: 'API call rate (unusual volumes of write calls)',
      ApiErrorRateInsight: 'API error rate (unusual numbers of failed calls)',
    };
    this.insightChecks = insightValues.map((v) =>
      choice('checkbox', 'insights', String(v), insightLabels[String(v)] ?? String(v)),
    );
    const costNote = h(
      'p',
      { class: 'cost-note' },
      h('strong', {}, 'Costs money: '),
      'CloudTrail Insights is billed per event analysed, on top of the trail, in every region it runs. Leave it off unless you need anomaly detection.',
    );
    const dataFieldset = h(
      'fieldset',
      { class: 'group', 'data-pointer': '/dataEvents', 'aria-describedby': 'data-hint' },
      h('legend', {}, 'Data events'),
      h(
        'p',
        { class: 'hint', id: 'data-hint' },
        `Object-level activity, per resource. Up to ${maxScopes} scopes; ARNs must belong to this account and its trail regions.`,
      ),
      this.dataList,
      this.addDataButton,
    );
    const section = h(
      'section',
      { class: 'card', 'aria-labelledby': 'sec-events' },
      h('h2', { id: 'sec-events' }, 'Events'),
      group(f, '/managementEvents', 'Management events', [this.mgmtRead.row, this.mgmtWrite.row], {
        hint: 'Control-plane calls. Record at least one kind; both is the baseline.',
      }),
      dataFieldset,
      group(
        f,
        '/insights',
        'CloudTrail Insights',
        this.insightChecks.map((c) => c.row),
        {
          hint: costNote,
        },
      ),
    );
    const dataError = h('p', { class: 'error-message', id: nextId('err'), hidden: true });
    this.dataList.before(dataError);
    f.register('/dataEvents', {
      wrapper: dataFieldset,
      controls: [this.addDataButton],
      error: dataError,
    });

    return section;
  }

  /** The alarm set and who is notified when an alarm fires. */
  #alarmsSection() {
    const f = this.fields;
    const setDefault = this.sub('alarms', 'set')?.default;
    const setNames = this.alarmSets.length ? this.alarmSets.map((s) => s.name) : [setDefault].filter(Boolean);
    this.alarmSet = h('select', { name: 'alarmSet' }, options(setNames, setDefault));
    this.alarmEntries = h('div', { class: 'alarm-entries', id: 'alarm-entries', 'aria-live': 'polite' });
    this.alarmSet.addEventListener('change', () => this.#showAlarmEntries());
    this.emails = h('textarea', { name: 'emails', rows: '3', autocomplete: 'off', spellcheck: 'false' });
    this.https = h('textarea', { name: 'https', rows: '2', autocomplete: 'off', spellcheck: 'false' });
    const emailMax = this.sub('alarms', 'notify', 'emails')?.maxItems;
    const section = h(
      'section',
      { class: 'card', 'aria-labelledby': 'sec-alarms' },
      h('h2', { id: 'sec-alarms' }, 'Alarms and notifications'),
      field(f, '/alarms/set', 'Alarm set', this.alarmSet, {
        hint: 'Each alarm watches the trail’s logs for one risky activity.',
        extra: this.alarmEntries,
      }),
      field(f, '/alarms/notify/emails', 'Email addresses to notify', this.emails, {
        hint: `One per line${emailMax ? `, up to ${emailMax}` : ''}. Each address confirms its subscription by email.`,
        optional: true,
      }),
      field(f, '/alarms/notify/https', 'HTTPS endpoints to notify', this.https, {
        hint: 'One https:// URL per line.',
        optional: true,
      }),
    );
    this.#showAlarmEntries();
    return section;
  }

  /** How long logs are kept, where, and whether S3 Object Lock protects them. */
  #retentionSection() {
    const f = this.fields;
    const archive = this.sub('retention', 'archiveAfterDays');
    const expire = this.sub('retention', 'expireAfterDays');
    const cwl = this.sub('retention', 'cloudWatchLogsDays');
    this.archive = h('input', {
      type: 'text',
      name: 'archiveAfterDays',
      inputmode: 'numeric',
      value: String(archive?.default ?? ''),
      class: 'input-short',
    });
    this.expire = h('input', {
      type: 'text',
      name: 'expireAfterDays',
      inputmode: 'numeric',
      value: String(expire?.default ?? ''),
      class: 'input-short',
    });
    this.cwl = h('select', { name: 'cloudWatchLogsDays' }, options(enumOf(this.doc, cwl), cwl?.default));
    const lockSchema = this.sub('objectLock');
    this.lockOn = choice('checkbox', 'objectLockOn', 'on', 'Lock log objects with S3 Object Lock', {
      hint: 'Nobody can delete or overwrite a log object until its lock ends. In COMPLIANCE mode not even administrators can; the bucket cannot be emptied before then.',
    });
    this.lockMode = h(
      'select',
      { name: 'objectLockMode' },
      options(enumOf(this.doc, lockSchema?.properties?.mode), 'GOVERNANCE'),
    );
    const lockDays = subschema(this.doc, lockSchema, 'days');
    this.lockDays = h('input', {
      type: 'text',
      name: 'objectLockDays',
      inputmode: 'numeric',
      value: '365',
      class: 'input-short',
    });
    this.lockFields = h(
      'div',
      { class: 'lock-fields', hidden: true },
      field(f, '/objectLock/mode', 'Lock mode', this.lockMode, {
        hint: 'GOVERNANCE: users with a special permission can lift it. COMPLIANCE: nobody can.',
      }),
      field(f, '/objectLock/days', 'Lock period (days)', this.lockDays, { hint: rangeHint(lockDays) }),
    );
    this.lockOn.input.addEventListener('change', () => {
      this.lockFields.hidden = !this.lockOn.input.checked;
    });
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'sec-retention' },
      h('h2', { id: 'sec-retention' }, 'Retention'),
      field(f, '/retention/archiveAfterDays', 'Move logs to archive storage after (days)', this.archive, {
        hint: rangeHint(archive),
      }),
      field(f, '/retention/expireAfterDays', 'Delete logs after (days)', this.expire, {
        hint: rangeHint(expire),
      }),
      field(
        f,
        '/retention/cloudWatchLogsDays',
        'Keep logs searchable in CloudWatch Logs for (days)',
        this.cwl,
        {
          hint: `default ${cwl?.default ?? 90}`,
        },
      ),
      group(f, '/objectLock', 'Object Lock', [this.lockOn.row, this.lockFields], {
        controls: [this.lockOn.input],
      }),
    );
  }

  /** Shows what the request as it stands would cover (debounced; the latest answer wins). */
  #refreshCoverage() {
    clearTimeout(this.coverageTimer);
    this.coverageTimer = setTimeout(async () => {
      this.coverageAbort?.abort();
      this.coverageAbort = new AbortController();
      let spec;
      try {
        spec = this.read().spec;
      } catch {
        return; // controls not readable yet: nothing to show
      }
      const report = await showRequestCoverage(this.coverageBox, spec, {
        signal: this.coverageAbort.signal,
        acknowledged: this.acknowledged,
        onAcknowledge: (id, on) => {
          if (on) this.acknowledged.add(id);
          else this.acknowledged.delete(id);
          this.#invalidatePlan();
        },
      });
      if (report) this.coverageIds = new Set(report.entries.map((e) => e.id));
    }, 300);
  }

  #toggleRegions() {
    this.regionList.hidden = !this.regionsChosen.checked;
  }

  #updateOrgOffer() {
    const allowed = this.settings.organizationTrailAccountId;
    const offer = Boolean(allowed) && this.accountInput.value.trim() === allowed;
    this.orgSection.hidden = !offer;
  }

  #showAlarmEntries() {
    clear(this.alarmEntries);
    const set = this.alarmSets.find((s) => s.name === this.alarmSet.value);
    if (!set) return;
    this.alarmEntries.append(
      h('p', { class: 'set-description' }, set.description),
      set.entries.length
        ? h(
            'ul',
            { class: 'alarm-list', 'aria-label': `Alarms in ${set.name}` },
            set.entries.map((e) => h('li', {}, h('strong', {}, e.title), ' — ', e.description)),
          )
        : h('p', {}, 'This set has no alarms.'),
    );
  }

  /**
   * Takes the data rows' values from their controls. Each row keeps its controls until the next
   * render: a read for the coverage (on any change) that dropped them lost every later edit of a row.
   */
  #readDataRows() {
    this.dataRows = this.dataRows.map((row) => ({
      ...row,
      kind: row.kindEl?.value ?? row.kind,
      all: row.allEl ? row.allEl.checked : row.all,
      arns: row.arnsEl?.value ?? row.arns,
      access: row.accessEl?.value ?? row.access,
    }));
  }

  /** @param {number} [focusIndex] the row whose first control gets the focus */
  #renderDataRows(focusIndex) {
    const f = this.fields;
    f.unregisterPrefix('/dataEvents/');
    clear(this.dataList);
    const kinds = enumOf(this.doc, this.sub('dataEvents', '*', 'kind'));
    const accessValues = enumOf(this.doc, this.sub('dataEvents', '*', 'access'));
    const kindLabels = {
      's3-object': 'S3 objects',
      lambda: 'Lambda invocations',
      dynamodb: 'DynamoDB items',
    };
    const accessLabels = { all: 'Read and write', 'read-only': 'Read only', 'write-only': 'Write only' };
    this.dataRows.forEach((row, i) => {
      const n = i + 1;
      const base = `/dataEvents/${i}`;
      row.kindEl = h('select', { name: `dataKind${i}` }, options(kinds, row.kind, kindLabels));
      const allChoice = choice(
        'checkbox',
        `dataAll${i}`,
        'all',
        'All resources of this kind in the account',
        {
          checked: row.all,
        },
      );
      const allEl = allChoice.input;
      const arnsEl = h(
        'textarea',
        { name: `dataArns${i}`, rows: '3', spellcheck: 'false', disabled: row.all },
        row.arns,
      );
      row.allEl = allEl;
      row.arnsEl = arnsEl;
      arnsEl.value = row.arns;
      allEl.addEventListener('change', () => {
        arnsEl.disabled = allEl.checked;
      });
      row.accessEl = h('select', { name: `dataAccess${i}` }, options(accessValues, row.access, accessLabels));
      const remove = h(
        'button',
        { type: 'button', class: 'link-button', 'aria-label': `Remove data event scope ${n}` },
        'Remove',
      );
      remove.addEventListener('click', () => {
        this.#readDataRows();
        this.dataRows.splice(i, 1);
        this.#renderDataRows();
        this.addDataButton.disabled = false;
        this.addDataButton.focus();
        announce(`Data event scope ${n} removed`);
      });
      this.dataList.append(
        h(
          'fieldset',
          { class: 'data-row' },
          h('legend', {}, `Data event scope ${n}`),
          field(f, `${base}/kind`, 'Kind', row.kindEl),
          h('div', { class: 'choice-line' }, allChoice.row),
          field(f, `${base}/resources`, 'Resource ARNs', row.arnsEl, {
            hint: 'One ARN per line, e.g. arn:aws:s3:::bucket/prefix, arn:aws:lambda:eu-west-1:123456789012:function:name',
          }),
          field(f, `${base}/access`, 'Record', row.accessEl),
          remove,
        ),
      );
    });
    if (focusIndex !== undefined) this.dataRows[focusIndex]?.kindEl?.focus();
  }

  /**
   * The loaded version when it is this account's (an edit), else undefined (a new request).
   * @param {string} accountId
   */
  #loadedFor(accountId) {
    return this.loaded?.accountId === accountId ? this.loaded : undefined;
  }

  /**
   * { accountId, spec } from the controls: the body the API gets.
   * @returns {{ accountId: string, spec: Draft }}
   */
  read() {
    this.#readDataRows();
    /** @type {Draft} */
    const spec = { homeRegion: this.homeRegion.value };
    spec.regions = this.regionsAll.checked
      ? 'all'
      : this.regionChecks.filter((c) => c.input.checked).map((c) => c.input.value);
    if (!this.orgSection.hidden) {
      const organizationTrail = this.orgTrail.input.checked;
      spec.organizationTrail = organizationTrail;
      const orgId = this.orgId.value.trim();
      if (organizationTrail && orgId) spec.organizationId = orgId;
    }
    /** @type {{ read: boolean, write: boolean, excludedSources?: string[] }} */
    const managementEvents = { read: this.mgmtRead.input.checked, write: this.mgmtWrite.input.checked };
    spec.managementEvents = managementEvents;
    spec.dataEvents = this.dataRows.map((row) => ({
      kind: row.kind,
      resources: row.all
        ? 'all'
        : row.arns
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter(Boolean),
      access: row.access,
    }));
    spec.insights = this.insightChecks.filter((c) => c.input.checked).map((c) => c.input.value);
    spec.alarms = {
      set: this.alarmSet.value,
      notify: { emails: lines(this.emails), https: lines(this.https) },
    };
    /** @type {Record<string, number | string>} */
    const retention = {};
    for (const [key, input] of /** @type {const} */ ([
      ['archiveAfterDays', this.archive],
      ['expireAfterDays', this.expire],
    ])) {
      const v = numberValue(input);
      if (v !== undefined) retention[key] = v;
    }
    retention.cloudWatchLogsDays = Number(this.cwl.value);
    spec.retention = retention;
    if (this.lockOn.input.checked)
      spec.objectLock = { mode: this.lockMode.value, days: numberValue(this.lockDays) };
    // Accepted gaps of alarms the current set has (a changed set drops the others).
    const acks = [...this.acknowledged].filter((id) => !this.coverageIds || this.coverageIds.has(id));
    if (acks.length) spec.acknowledgedGaps = acks;
    const accountId = this.accountInput.value.trim();
    // A PUT replaces the spec: keep what this form does not edit from the version being edited.
    const kept = this.#loadedFor(accountId)?.spec;
    if (kept) {
      for (const key of /** @type {const} */ (['accessLogBucket', 'securityReaders', 'tags']))
        if (kept[key] !== undefined) spec[key] = kept[key];
      if (kept.managementEvents?.excludedSources)
        managementEvents.excludedSources = kept.managementEvents.excludedSources;
    }
    return { accountId, spec };
  }

  /**
   * Fills the controls from a stored spec (defaults applied).
   * @param {string} accountId
   * @param {TrailRequest} spec
   */
  fill(accountId, spec) {
    this.accountInput.value = accountId;
    this.#updateOrgOffer();
    this.homeRegion.value = spec.homeRegion;
    const regions = spec.regions;
    const chosen = regions !== 'all' && Array.isArray(regions);
    this.regionsAll.checked = !chosen;
    this.regionsChosen.checked = chosen;
    for (const c of this.regionChecks)
      c.input.checked = chosen && /** @type {readonly string[]} */ (regions).includes(c.input.value);
    this.#toggleRegions();
    this.orgTrail.input.checked = Boolean(spec.organizationTrail);
    this.orgId.value = spec.organizationId ?? '';
    this.orgIdField.hidden = !spec.organizationTrail;
    this.mgmtRead.input.checked = spec.managementEvents?.read !== false;
    this.mgmtWrite.input.checked = spec.managementEvents?.write !== false;
    this.dataRows = (spec.dataEvents ?? []).map((d) => ({
      kind: d.kind,
      all: d.resources === 'all',
      arns: d.resources === 'all' ? '' : d.resources.join('\n'),
      access: d.access ?? 'all',
    }));
    this.#renderDataRows();
    for (const c of this.insightChecks)
      c.input.checked = /** @type {readonly string[]} */ (spec.insights ?? []).includes(c.input.value);
    if (spec.alarms?.set) this.alarmSet.value = spec.alarms.set;
    this.#showAlarmEntries();
    this.emails.value = (spec.alarms?.notify?.emails ?? []).join('\n');
    this.https.value = (spec.alarms?.notify?.https ?? []).join('\n');
    if (spec.retention?.archiveAfterDays !== undefined)
      this.archive.value = String(spec.retention.archiveAfterDays);
    if (spec.retention?.expireAfterDays !== undefined)
      this.expire.value = String(spec.retention.expireAfterDays);
    if (spec.retention?.cloudWatchLogsDays !== undefined)
      this.cwl.value = String(spec.retention.cloudWatchLogsDays);
    this.acknowledged = new Set(spec.acknowledgedGaps ?? []);
    this.#refreshCoverage();
    this.lockOn.input.checked = Boolean(spec.objectLock);
    this.lockFields.hidden = !spec.objectLock;
    if (spec.objectLock) {
      this.lockMode.value = spec.objectLock.mode;
      this.lockDays.value = String(spec.objectLock.days);
    }
  }

  /** @param {string} accountId the account whose stored request the form edits */
  async load(accountId) {
    try {
      const { data: answer } = await api(`/v1/accounts/${encodeURIComponent(accountId)}/trail`);
      const data = /** @type {import('./types.d.ts').TrailState} */ (answer);
      this.fill(accountId, data.spec);
      this.loaded = { accountId, etag: data.etag, specVersion: data.specVersion, spec: data.spec };
      this.existingNote.textContent = `Editing version ${data.specVersion} of this account’s request.`;
      this.existingNote.hidden = false;
    } catch (err) {
      this.accountInput.value = accountId;
      this.#updateOrgOffer();
      if (!(err instanceof ApiError && err.status === 404)) this.#problem(describeError(err));
    }
  }

  /**
   * Issues of the current values against the API's schemas (the path parameter and the body).
   * @param {{ accountId: string, spec: Draft }} input
   * @returns {Issue[]}
   */
  check({ accountId, spec }) {
    const accountIssues = validate(this.doc, this.schemas.accountId, accountId).map((i) => ({
      ...i,
      in: /** @type {const} */ ('params'),
      path: '/accountId',
      message: accountId === '' ? 'is required' : i.message,
    }));
    if (accountId === '' && accountIssues.length === 0)
      accountIssues.push({ in: 'params', path: '/accountId', message: 'is required' });
    return [...accountIssues, ...validate(this.doc, this.tr, spec)];
  }

  /**
   * @param {Issue[]} issues
   * @param {'client' | 'server'} source
   */
  showErrors(issues, source) {
    const placed = this.fields.show(issues);
    clear(this.summary);
    const items = placed.map(({ field, message, label }) => {
      const target = field?.controls.find((c) => !c.disabled) ?? field?.controls[0];
      const name = field ? labelOf(field) : label;
      if (!target) return h('li', {}, `${name}: ${message}`);
      const link = h('a', { href: `#${target.id}` }, `${name}: ${message}`);
      link.addEventListener('click', (e) => {
        e.preventDefault();
        target.focus();
      });
      return h('li', {}, link);
    });
    this.summary.append(
      h(
        'h2',
        {},
        source === 'server' ? 'The service did not accept the request' : 'Fix these before previewing',
      ),
      h('ul', {}, items),
    );
    this.summary.hidden = false;
    this.summary.focus();
  }

  /** @param {string} message */
  #problem(message) {
    clear(this.summary);
    this.summary.append(h('h2', {}, 'Something went wrong'), h('p', {}, message));
    this.summary.hidden = false;
    this.summary.focus();
  }

  #clearErrors() {
    this.fields.clear();
    clear(this.summary);
    this.summary.hidden = true;
  }

  /**
   * @param {boolean} busy
   * @param {string} [label] the submit button's text while busy
   */
  #setBusy(busy, label) {
    this.busy = busy;
    this.submit.disabled = busy;
    this.submit.textContent = busy ? (label ?? '') : 'Preview changes';
    this.element.setAttribute('aria-busy', String(busy));
  }

  #invalidatePlan() {
    if (!this.plan || this.busy) return;
    this.plan = null;
    const confirm = this.previewPanel.querySelector('.confirm');
    if (confirm) {
      confirm.replaceWith(
        h('p', { class: 'notice' }, 'The request changed since this preview. Preview again before applying.'),
      );
    }
  }

  async preview() {
    if (this.busy) return;
    const input = this.read();
    const issues = this.check(input);
    if (issues.length) {
      this.showErrors(issues, 'client');
      announce(`${issues.length} ${issues.length === 1 ? 'problem' : 'problems'} to fix`);
      return;
    }
    this.#clearErrors();
    const { accountId, spec } = input;
    const panel = this.previewPanel;
    clear(panel);
    panel.hidden = false;
    const title = h('h2', { id: 'preview-title', tabindex: '-1' }, `Preview for account ${accountId}`);
    // Not a live region (it counts resources as events arrive); transitions are announced.
    const progress = h('p', { class: 'progress', id: 'preview-progress' }, 'Running the preview…');
    announce('Running a preview');
    panel.append(title, progress);
    this.#setBusy(true, 'Previewing…');
    try {
      // A draft: the preview stores nothing (spec, version and account status stay as they are).
      // If-Match only checks that the version this edit started from is still the stored one.
      const loaded = this.#loadedFor(accountId);
      const ifMatch = loaded ? { 'if-match': loaded.etag } : undefined;
      /** @type {Operation} */
      let op;
      try {
        const { data } = await api(`/v1/accounts/${accountId}/trail/previews`, {
          method: 'POST',
          body: spec,
          headers: ifMatch,
        });
        op = /** @type {Operation} */ (data);
      } catch (err) {
        panel.hidden = true;
        if (err instanceof ApiError && err.status === 400 && err.errors.length) {
          this.showErrors(err.errors, 'server');
          announce('The service did not accept the request');
        } else if (err instanceof ApiError && err.status === 412) {
          this.#problem(
            'Someone else changed this account’s request since you loaded it. Reload the page to see their version.',
          );
        } else this.#problem(describeError(err));
        return;
      }
      title.focus();
      const resources = new ResourceProgress();
      const final = await followOperation(op.id, {
        onEvent: (event) => {
          if (resources.add(event))
            progress.textContent = `Running the preview… ${resources.list().length} resources checked`;
        },
      });
      await this.#showPlan({ accountId, spec, op: final ?? op, resources, progress });
    } catch (err) {
      progress.textContent = '';
      panel.append(
        h('p', { class: 'notice error', role: 'alert' }, `The preview could not run: ${describeError(err)}`),
      );
    } finally {
      this.#setBusy(false);
    }
  }

  /**
   * @param {object} preview
   * @param {string} preview.accountId
   * @param {Draft} preview.spec the previewed body
   * @param {Operation} preview.op the finished preview
   * @param {ResourceProgress} preview.resources
   * @param {HTMLElement} preview.progress
   */
  async #showPlan({ accountId, spec, op, resources, progress }) {
    const panel = this.previewPanel;
    if (op.state !== 'succeeded') {
      progress.textContent = '';
      panel.append(
        h(
          'div',
          { class: 'notice error', role: 'alert' },
          h('p', {}, h('strong', {}, 'The preview failed: '), op.error?.message ?? op.state),
          op.error?.engineMessage ? h('pre', { class: 'engine-message' }, op.error.engineMessage) : null,
          resources.diagnostics.length
            ? h(
                'ul',
                {},
                resources.diagnostics
                  .filter((d) => d.severity === 'error')
                  .map((d) => h('li', {}, d.message)),
              )
            : null,
        ),
      );
      return;
    }
    let plan;
    try {
      plan = await loadPlan(op.id);
    } catch (err) {
      progress.textContent = '';
      panel.append(
        h('p', { class: 'notice error', role: 'alert' }, `The plan could not be read: ${describeError(err)}`),
      );
      return;
    }
    const total = changeTotal(plan);
    progress.textContent =
      total === 0 ? 'Preview finished: nothing to change.' : `Preview finished: ${total} changes planned.`;
    panel.append(renderPlan(plan));
    if (op.coverage) {
      // Folded, so the plan and the Apply button stay close on a phone; the form showed it already.
      const box = h('div', { class: 'coverage' });
      renderCoverage(box, op.coverage);
      const blind = op.coverage.entries.filter((e) => e.status === 'blind').length;
      panel.append(
        h(
          'details',
          { id: 'preview-coverage' },
          h(
            'summary',
            {},
            blind ? `Coverage: ${blind} alarms blind` : 'Coverage: every alarm of the set sees its events',
          ),
          box,
        ),
      );
    }
    if (total === 0) {
      panel.append(
        h('p', { class: 'notice' }, 'The account already matches this request. There is nothing to apply.'),
      );
      panel.querySelector('h2')?.focus();
      return;
    }
    this.plan = { accountId, previewId: op.id };
    const applyButton = h(
      'button',
      { type: 'button', class: 'primary', id: 'apply-button' },
      `Apply ${total} changes to account ${accountId}`,
    );
    const back = h('button', { type: 'button', class: 'secondary' }, 'Change the request');
    back.addEventListener('click', () => this.accountInput.focus());
    const confirmError = h('p', { class: 'error-message', role: 'alert', hidden: true });
    applyButton.addEventListener('click', async () => {
      if (!this.plan) return;
      applyButton.disabled = true;
      applyButton.textContent = 'Starting the apply…';
      try {
        // Save the previewed spec (If-Match: the version this edit started from; none for a new
        // account), then apply exactly that preview: 409 if the account changed since.
        const loaded = this.#loadedFor(accountId);
        const ifMatch = loaded ? { 'if-match': loaded.etag } : undefined;
        const put = await api(`/v1/accounts/${accountId}/trail`, {
          method: 'PUT',
          body: spec,
          headers: ifMatch,
        });
        const stored = /** @type {import('./types.d.ts').TrailState} */ (put.data);
        const etag = put.headers.get('etag') ?? stored.etag;
        this.loaded = { accountId, etag, specVersion: stored.specVersion, spec: stored.spec };
        const { data } = await api(
          `/v1/accounts/${accountId}/trail/applies?previewId=${encodeURIComponent(this.plan.previewId)}`,
          { method: 'POST', headers: { 'if-match': etag } },
        );
        location.assign(`/operations/${encodeURIComponent(/** @type {Operation} */ (data).id)}`);
      } catch (err) {
        applyButton.disabled = false;
        applyButton.textContent = `Apply ${total} changes to account ${accountId}`;
        confirmError.textContent =
          err instanceof ApiError && (err.status === 412 || err.code === 'preview_stale')
            ? 'The request or the account changed since this preview. Preview again before applying.'
            : err instanceof ApiError && err.status === 428
              ? 'This account already has a trail request: open it with “Change the request” on its account page, so your edit starts from the stored version.'
              : describeError(err);
        confirmError.hidden = false;
      }
    });
    panel.append(
      h(
        'div',
        { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-title' },
        h('h3', { id: 'confirm-title' }, 'Apply these changes?'),
        h(
          'p',
          {},
          `This changes the resources listed above in account ${accountId} (home region ${spec.homeRegion}). `,
          'You can follow the progress on the next page.',
        ),
        confirmNotes(plan),
        confirmError,
        h('div', { class: 'form-actions' }, applyButton, back),
      ),
    );
    panel.querySelector('h2')?.focus();
    announce(`Preview finished: ${total} changes planned. Review them, then apply.`);
  }
}

/** @param {Field} field */
function labelOf(field) {
  const w = field.wrapper;
  const el = w.tagName === 'FIELDSET' ? w.querySelector('legend') : w.querySelector('label');
  const text = (el?.firstChild?.textContent ?? el?.textContent ?? field.key).trim();
  const row = w.closest('.data-row')?.querySelector('legend')?.textContent;
  return row && row !== text ? `${row}, ${text}` : text;
}

/** @param {string} text */
function sentence(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) + (text.endsWith('.') ? '' : '.') : text;
}
