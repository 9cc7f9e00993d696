// The shapes the pages' JSDoc names. The API's come from the generated client types
// (openapi/trailwarden-api.ts, written from the same TypeBox schemas the server validates with), so a
// schema change the pages do not follow fails `npm run typecheck`; no second copy is written here.
// Not served: /assets/ answers only .js, .css and .svg names.
import type { components, operations } from '../../../openapi/trailwarden-api.ts';

type Schemas = components['schemas'];

/** The JSON body a successful call of an operation (by its operationId) answers. */
export type Answer<K extends keyof operations> = operations[K]['responses'] extends infer R
  ? R[(200 | 201 | 202) & keyof R] extends { content: { 'application/json': infer T } }
    ? T
    : never
  : never;

export type Problem = Schemas['Problem'];
/** A field error of a 400 answer (or of the form's own schema check). */
export type Issue = NonNullable<Problem['errors']>[number];
export type Operation = Schemas['Operation'];
export type OperationError = Schemas['OperationError'];
export type TrailRequest = Schemas['TrailRequest'];
export type TrailState = Schemas['TrailState'];
export type AccountSummary = Schemas['AccountSummary'];
export type Plan = Schemas['Plan'];
export type PlanGroup = Plan['groups'][number];
export type PlanResource = PlanGroup['resources'][number];
export type ChangeCounts = Plan['counts'];
export type StoredDriftReport = Schemas['StoredDriftReport'];
type DriftResource = StoredDriftReport['resources'][number];
/** A drift report read from a drift check's engine events (drift.js, before the report API): no id, no severities. */
export interface DerivedDriftReport {
  id?: undefined;
  accountId: string;
  operationId: string;
  checkedAt: string;
  clean: boolean;
  severity: null;
  counts: null;
  resources: (Omit<DriftResource, 'severity' | 'properties'> & {
    severity: null;
    properties: { path: string; expected: unknown; actual: unknown; severity: null }[];
  })[];
  unverified: StoredDriftReport['unverified'];
  findings?: undefined;
}
/** A drift report as the account page shows it; derived: read from engine events. */
export interface ShownDriftReport {
  report: StoredDriftReport | DerivedDriftReport;
  derived: boolean;
}
export type FleetDrift = Schemas['FleetDrift'];
export type FleetAccount = FleetDrift['accounts'][number];
export type AlarmSet = Schemas['AlarmSet'];
/** A coverage report of a request (POST /v1/coverage-reports); an account's adds where it was read. */
export type CoverageReport = Answer<'computeCoverage'>;
export type Approval = Answer<'listApprovals'>['items'][number];
export type TrailVersion = Answer<'listTrailRequestVersions'>['items'][number];
export type EngineEvent = Answer<'getOperationEvents'>['events'][number]['event'];
/** A page of a list endpoint: its items and the cursor of the next page. */
export type Page = { items?: unknown[]; nextCursor?: string | null };

/**
 * What dom.js's h() builds an element from: nodes, text (numbers and true shown as text) and nested
 * lists of them; null, undefined and false add nothing.
 */
export type Children = Node | string | number | boolean | null | undefined | Children[];

/** /assets/settings.json (src/web/plugin.ts). */
export interface Settings {
  organizationTrailAccountId: string | null;
  mode: 'sandbox' | 'aws';
  notice?: string | null;
}
