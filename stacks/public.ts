// The stacks' public entry: all the service (src/) may import from here. The rest of stacks/ is
// internal (the Pulumi components and how they are split), so it can be reorganized without touching
// the API; .dependency-cruiser.cjs refuses any other import from src/ into stacks/.
export { alarmCatalog } from './alarms/catalog.ts';
export {
  COVERAGE_STATUSES,
  type CoverageReport,
  coverageReport,
  type SubscriptionState,
  unacknowledgedGapIssues,
} from './coverage.ts';
export { CoverageGapSchema, CoverageReportSchema } from './coverage-schema.ts';
export { accountTrailProgram } from './program.ts';
// The cross-field rules the program enforces, which the API checks first to answer 400 with fields.
export { baselineRequestIssues, type RequestIssue } from './request-rules.ts';
