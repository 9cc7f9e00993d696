// IAM policy documents: rendering aws:iam/getPolicyDocument like the Terraform data source does,
// and a small evaluator for "does this policy let service X do action Y on resource Z", which the
// sandbox uses to mimic CloudTrail's bucket-policy and key-policy checks.
import { createHash } from 'node:crypto';

type Json = unknown;
type Obj = Record<string, unknown>;

interface StatementArgs {
  sid?: string;
  effect?: string;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  notPrincipals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

export interface PolicyDocumentArgs {
  version?: string;
  policyId?: string;
  statements?: StatementArgs[];
  sourcePolicyDocuments?: string[];
  overridePolicyDocuments?: string[];
  sourceJson?: string;
  overrideJson?: string;
}

/** One value renders as a string, several as a reverse-sorted list (the Terraform data source's encoding). */
function stringOrList(values: string[] | undefined): string | string[] | undefined {
  if (!values || values.length === 0) return undefined;
  const uniq = [...new Set(values)];
  if (uniq.length === 1) return uniq[0];
  return uniq.sort().reverse();
}

function principalMap(list: { type: string; identifiers: string[] }[] | undefined): Json {
  if (!list || list.length === 0) return undefined;
  if (list.length === 1 && list[0]!.type === '*' && list[0]!.identifiers.every((i) => i === '*')) return '*';
  const out: Obj = {};
  for (const p of list) {
    const prev = (
      out[p.type] === undefined ? [] : ([] as string[]).concat(out[p.type] as string | string[])
    ) as string[];
    out[p.type] = stringOrList([...prev, ...(p.identifiers ?? [])]);
  }
  return out;
}

function renderStatement(s: StatementArgs): Obj {
  const out: Obj = {};
  if (s.sid) out.Sid = s.sid;
  out.Effect = s.effect || 'Allow';
  const put = (key: string, value: Json) => {
    if (value !== undefined) out[key] = value;
  };
  put('Action', stringOrList(s.actions));
  put('NotAction', stringOrList(s.notActions));
  put('Resource', stringOrList(s.resources));
  put('NotResource', stringOrList(s.notResources));
  put('Principal', principalMap(s.principals));
  put('NotPrincipal', principalMap(s.notPrincipals));
  if (s.conditions && s.conditions.length > 0) {
    const cond: Record<string, Obj> = {};
    for (const c of s.conditions) {
      const byVar = cond[c.test] ?? {};
      cond[c.test] = byVar;
      const prev =
        byVar[c.variable] === undefined ? [] : ([] as string[]).concat(byVar[c.variable] as string);
      byVar[c.variable] = stringOrList([...prev, ...(c.values ?? [])]);
    }
    out.Condition = cond;
  }
  return out;
}

function statementsOf(doc: string): Obj[] {
  const parsed = JSON.parse(doc) as Obj;
  const st = parsed.Statement;
  if (st === undefined) return [];
  return (Array.isArray(st) ? st : [st]) as Obj[];
}

/** Merges statements by Sid: later documents replace earlier statements with the same non-empty Sid. */
function mergeBySid(base: Obj[], extra: Obj[]): Obj[] {
  const out = [...base];
  for (const s of extra) {
    const sid = typeof s.Sid === 'string' && s.Sid !== '' ? s.Sid : undefined;
    const at = sid === undefined ? -1 : out.findIndex((o) => o.Sid === sid);
    if (at >= 0) out[at] = s;
    else out.push(s);
  }
  return out;
}

export function renderPolicyDocument(args: PolicyDocumentArgs): {
  json: string;
  minifiedJson: string;
  id: string;
} {
  let statements: Obj[] = [];
  const sources = [...(args.sourceJson ? [args.sourceJson] : []), ...(args.sourcePolicyDocuments ?? [])];
  for (const src of sources) statements = mergeBySid(statements, statementsOf(src));
  const own = (args.statements ?? []).map(renderStatement);
  // Sids must be unique within the data source's own statements.
  const sids = own.map((s) => s.Sid).filter((s): s is string => typeof s === 'string');
  const dup = sids.find((s, i) => sids.indexOf(s) !== i);
  if (dup) throw new Error(`duplicate Sid (${dup}). Remove the Sid or ensure Sids are unique.`);
  statements = mergeBySid(statements, own);
  const overrides = [
    ...(args.overrideJson ? [args.overrideJson] : []),
    ...(args.overridePolicyDocuments ?? []),
  ];
  for (const ov of overrides) statements = mergeBySid(statements, statementsOf(ov));
  const doc: Obj = { Version: args.version || '2012-10-17' };
  if (args.policyId) doc.Id = args.policyId;
  doc.Statement = statements;
  const json = JSON.stringify(doc, null, 2);
  const minifiedJson = JSON.stringify(doc);
  const id = String(Number.parseInt(createHash('sha256').update(json).digest('hex').slice(0, 8), 16));
  return { json, minifiedJson, id };
}

/** A JSON policy document: returns the parse error message, or undefined when it parses to an object. */
export function policyError(doc: unknown): string | undefined {
  if (doc !== null && typeof doc === 'object') return undefined; // PolicyDocument objects from @pulumi/aws
  if (typeof doc !== 'string') return 'policy must be a JSON string';
  try {
    const v = JSON.parse(doc) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'policy must be a JSON object';
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** IAM-style wildcard match (`*` any run, `?` one character), case-insensitive as for actions. */
function globMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseInsensitive ? 'i' : '').test(value);
}

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

function principalCovers(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Obj;
  if (asList(p.AWS).includes('*')) return true;
  return asList(p.Service).includes(service);
}

/** Request context keys (`aws:SourceArn`, `s3:x-amz-acl`, …) for condition evaluation. */
export type RequestContext = Record<string, string | string[]>;

/**
 * Evaluates a Condition block against the request context. Supports the String*, Arn*, Bool and
 * Null operators with IfExists and ForAnyValue/ForAllValues. An operator the sandbox does not know
 * counts as satisfied: the sandbox should not block on what it cannot model.
 */
export function conditionsHold(condition: unknown, ctx: RequestContext): boolean {
  if (!condition || typeof condition !== 'object') return true;
  for (const [rawOp, block] of Object.entries(condition as Obj)) {
    if (!block || typeof block !== 'object') continue;
    const ifExists = rawOp.endsWith('IfExists');
    const op = rawOp.replace(/IfExists$/, '').replace(/^For(Any|All)Value:/, '');
    for (const [rawKey, expected] of Object.entries(block as Obj)) {
      const key = Object.keys(ctx).find((k) => k.toLowerCase() === rawKey.toLowerCase());
      const actual = key === undefined ? undefined : ([] as string[]).concat(ctx[key]!);
      const wants = asList(expected).concat(typeof expected === 'boolean' ? [String(expected)] : []);
      if (op === 'Null') {
        const isNull = actual === undefined;
        if (wants.some((w) => (w === 'true') !== isNull)) return false;
        continue;
      }
      if (actual === undefined) {
        if (ifExists) continue;
        if (/Not/.test(op)) continue; // a negated operator on a missing key matches
        if (/^(String|Arn|Bool)/.test(op)) return false;
        continue;
      }
      const anyMatch = (cmp: (a: string, w: string) => boolean) =>
        actual.some((a) => wants.some((w) => cmp(a, w)));
      let ok: boolean;
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          ok = anyMatch((a, w) => a === w);
          break;
        case 'StringEqualsIgnoreCase':
          ok = anyMatch((a, w) => a.toLowerCase() === w.toLowerCase());
          break;
        case 'StringLike':
        case 'ArnLike':
          ok = anyMatch((a, w) => globMatch(w, a, false));
          break;
        case 'StringNotEquals':
        case 'ArnNotEquals':
          ok = !anyMatch((a, w) => a === w);
          break;
        case 'StringNotEqualsIgnoreCase':
          ok = !anyMatch((a, w) => a.toLowerCase() === w.toLowerCase());
          break;
        case 'StringNotLike':
        case 'ArnNotLike':
          ok = !anyMatch((a, w) => globMatch(w, a, false));
          break;
        case 'Bool':
          ok = anyMatch((a, w) => a.toLowerCase() === w.toLowerCase());
          break;
        default:
          ok = true;
      }
      if (!ok) return false;
    }
  }
  return true;
}

type PrincipalTest = (principal: unknown) => boolean;

function evaluate(
  doc: unknown,
  principalOk: PrincipalTest,
  action: string,
  resource: string,
  ctx: RequestContext,
): boolean {
  let parsed: Obj;
  try {
    parsed = (typeof doc === 'string' ? JSON.parse(doc) : doc) as Obj;
  } catch {
    return false;
  }
  if (!parsed || typeof parsed !== 'object') return false;
  const raw = parsed.Statement;
  const statements = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Obj[];
  const matches = (s: Obj) => {
    if (!principalOk(s.Principal)) return false;
    const actionOk =
      s.Action !== undefined
        ? asList(s.Action).some((a) => globMatch(a, action, true))
        : s.NotAction !== undefined && !asList(s.NotAction).some((a) => globMatch(a, action, true));
    if (!actionOk) return false;
    // A trust policy has no Resource: the role itself is the resource.
    const resourceOk =
      s.Resource !== undefined
        ? asList(s.Resource).some((r) => globMatch(r, resource, false))
        : s.NotResource !== undefined
          ? !asList(s.NotResource).some((r) => globMatch(r, resource, false))
          : resource === '';
    return resourceOk && conditionsHold(s.Condition, ctx);
  };
  const allowed = statements.some((s) => s.Effect === 'Allow' && matches(s));
  const denied = statements.some((s) => s.Effect === 'Deny' && matches(s));
  return allowed && !denied;
}

/**
 * True when some Allow statement of `doc` grants `service` (e.g. cloudtrail.amazonaws.com) the
 * `action` on `resource` under the request context `ctx`, and no Deny statement takes it away.
 * Pass resource '' for a trust policy (statements without Resource).
 */
export function policyAllowsService(
  doc: unknown,
  service: string,
  action: string,
  resource: string,
  ctx: RequestContext = {},
): boolean {
  return evaluate(doc, (p) => principalCovers(p, service), action, resource, ctx);
}

/**
 * Resource policy test for an AWS principal (an account root ARN, a role ARN): `"AWS": "*"`, the
 * ARN itself, the account id, or the account's root ARN cover it.
 */
export function policyAllowsAwsPrincipal(
  doc: unknown,
  principalArn: string,
  action: string,
  resource: string,
  ctx: RequestContext = {},
): boolean {
  const account = /^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):/.exec(principalArn)?.[1];
  const covers = (principal: unknown) => {
    if (principal === '*') return true;
    if (!principal || typeof principal !== 'object') return false;
    return asList((principal as Obj).AWS).some(
      (a) =>
        a === '*' || a === principalArn || a === account || (account && a === `arn:aws:iam::${account}:root`),
    );
  };
  return evaluate(doc, covers, action, resource, ctx);
}

/** Identity policy test (statements have no Principal): does it allow `action` on `resource`? */
export function identityPolicyAllows(
  doc: unknown,
  action: string,
  resource: string,
  ctx: RequestContext = {},
): boolean {
  return evaluate(doc, (p) => p === undefined, action, resource, ctx);
}
