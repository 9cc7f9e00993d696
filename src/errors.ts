// Every error the API returns is an RFC 9457 problem document with a stable `code`.
// Handlers throw the typed classes below; the error handler in app.ts renders them.
import { Type } from 'typebox';
import { sharedRef } from './schema-ref.ts';

export interface FieldIssue {
  /** JSON pointer into the request part (the body unless `in` says otherwise), e.g. `/regions/0`. */
  path: string;
  message: string;
  /** Which part of the request the path points into, when it is not the body. */
  in?: 'querystring' | 'params' | 'headers';
}

export const FieldIssueSchema = Type.Object(
  {
    path: Type.String({ description: 'JSON pointer to the field, e.g. /regions/0' }),
    message: Type.String({ description: 'Why the value is not accepted, fit to show next to the field' }),
    in: Type.Optional(Type.Enum(['querystring', 'params', 'headers'] as const)),
  },
  { additionalProperties: false },
);

/**
 * Every `code` a problem can carry: its HTTP status and what it means. The one source of the `code` enum
 * in the OpenAPI document and of the README's error list; test/contract/error-catalogue.test.ts fails when
 * the sources throw a code that is not here. Add new codes here.
 */
export const ERROR_CATALOGUE = {
  validation_failed: {
    status: 400,
    meaning: 'The request is not valid; errors[] names each field (JSON pointer) and why',
  },
  invalid_json: {
    status: 400,
    meaning: 'The body is not valid JSON (Fastify FST_ERR_CTP_INVALID_JSON_BODY)',
  },
  empty_json_body: {
    status: 400,
    meaning: 'Content-Type is application/json but the body is empty (FST_ERR_CTP_EMPTY_JSON_BODY)',
  },
  invalid_content_length: {
    status: 400,
    meaning: 'Content-Length does not match the body (FST_ERR_CTP_INVALID_CONTENT_LENGTH)',
  },
  bad_url: { status: 400, meaning: 'The URL cannot be decoded (FST_ERR_BAD_URL)' },
  bad_request: { status: 400, meaning: 'Any other malformed request the HTTP layer refuses' },
  unknown_account_group: {
    status: 400,
    meaning: 'A service token names an account group ACCOUNT_GROUPS does not define',
  },
  unauthorized: {
    status: 401,
    meaning: 'No bearer token, or one that is unknown, revoked, expired or does not verify',
  },
  insufficient_role: { status: 403, meaning: "The caller's role is below the one the call needs" },
  account_not_in_scope: { status: 403, meaning: 'The caller is not granted the account the call acts on' },
  approval_not_allowed: {
    status: 403,
    meaning: 'Four eyes: the requester (or their token) cannot approve or reject',
  },
  route_not_found: { status: 404, meaning: 'No such path' },
  account_not_found: {
    status: 404,
    meaning: 'The service knows nothing about the account (no trail request)',
  },
  trail_request_not_found: { status: 404, meaning: 'The account has no trail request' },
  operation_not_found: { status: 404, meaning: 'No operation with this id' },
  reconciliation_not_found: { status: 404, meaning: 'No reconciliation with this id' },
  service_token_not_found: { status: 404, meaning: 'No service token with this id' },
  method_not_allowed: {
    status: 405,
    meaning: 'The path exists but not with this method; Allow lists the methods',
  },
  uri_too_long: {
    status: 414,
    meaning: 'A path parameter is longer than the router accepts (FST_ERR_MAX_PARAM_LENGTH)',
  },
  operation_in_progress: {
    status: 409,
    meaning: 'wait=false and the account already has a queued or running operation',
  },
  operation_finished: { status: 409, meaning: 'The operation already ended (cancel)' },
  operation_not_pending_approval: { status: 409, meaning: 'The operation is not waiting for approval' },
  operation_not_retryable: {
    status: 409,
    meaning: 'Only failed, cancelled or interrupted operations can be retried',
  },
  account_decommissioned: {
    status: 409,
    meaning: 'The account was decommissioned; PUT its trail request again first',
  },
  spec_changed: { status: 409, meaning: 'The trail request changed since the operation was requested' },
  preview_stale: {
    status: 409,
    meaning: 'The trail request or the account changed since the preview the apply was confirmed from',
  },
  preview_not_succeeded: { status: 409, meaning: 'The preview named by previewId did not succeed' },
  nothing_applied: { status: 409, meaning: 'The account has no applied spec to converge to' },
  no_plan: { status: 409, meaning: 'Only previews and applies have a plan' },
  operation_not_finished: {
    status: 409,
    meaning: 'The operation has not ended yet (its plan comes when it ends)',
  },
  preview_not_found: { status: 404, meaning: 'No preview with that id for this account' },
  drift_report_not_found: { status: 404, meaning: 'The account has no drift report with that id' },
  if_match_required: {
    status: 428,
    meaning: 'Updating an existing trail request needs If-Match with the ETag of the version it replaces',
  },
  engine_not_ready: {
    status: 503,
    meaning:
      'The engine lacks what an operation needs (CLI, aws plugin, credentials); the detail names it and its fix',
  },
  request_timeout: { status: 408, meaning: 'The request was not received in time; the connection is closed' },
  request_header_fields_too_large: {
    status: 431,
    meaning: 'The request line and headers exceed what the server accepts',
  },
  reconciliation_running: {
    status: 409,
    meaning: 'A reconciliation is already running (here or in another replica)',
  },
  shutting_down: { status: 409, meaning: 'The service is shutting down and takes no new work' },
  etag_mismatch: {
    status: 412,
    meaning: 'If-Match does not name the current ETag: the resource changed meanwhile',
  },
  body_too_large: {
    status: 413,
    meaning: 'The body is larger than BODY_LIMIT_BYTES (FST_ERR_CTP_BODY_TOO_LARGE)',
  },
  unsupported_media_type: {
    status: 415,
    meaning: 'The body has a Content-Type the route does not accept (FST_ERR_CTP_INVALID_MEDIA_TYPE)',
  },
  rate_limited: {
    status: 429,
    meaning: 'Too many requests from this caller; Retry-After says when to retry',
  },
  internal_error: {
    status: 500,
    meaning: 'An unexpected error; the x-request-id header names it in the logs',
  },
  not_ready: { status: 503, meaning: 'A readiness check failed (database or Pulumi CLI)' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** The codes a status can carry, in catalogue order. */
export function codesForStatus(status: number): ErrorCode[] {
  return ERROR_CODES.filter((c) => ERROR_CATALOGUE[c].status === status);
}

/**
 * Every `code` an operation's `error` can carry (GET /v1/operations/{id}: a failed, cancelled or
 * interrupted operation). These are outcomes of work, not HTTP answers: no status. The one source of
 * the OperationError `code` enum in the OpenAPI document; test/contract/error-catalogue.test.ts fails
 * when the sources set a code that is not here.
 */
export const OPERATION_ERROR_CATALOGUE = {
  engine_failed:
    'The Pulumi engine reported a failure; engineMessage has its diagnostics (e.g. an AWS error)',
  engine_error: 'Any other failure while running the operation; the logs have it under the operation id',
  stack_locked: "The account's stack is locked by another update (another process, or one that crashed)",
  cancelled: 'Cancelled by request, while running or before it started',
  pulumi_cli_missing: 'The Pulumi CLI the service needs is not installed (npm run pulumi-cli installs it)',
  engine_not_ready:
    'Readiness (aws mode) failed: CLI version, aws plugin or credentials; the message names the fix',
  preview_stale: 'The account or its trail request changed since the preview this apply was confirmed from',
  interrupted_by_restart:
    'The service stopped while the operation ran; the message says what recovery did to the stack. Retry it',
  interrupted_by_shutdown: 'The service was shut down while the operation ran. Retry it',
  lease_lost:
    'This replica stopped renewing its lease on the running operation; another replica took it over and reports it',
  approval_rejected: 'An approver rejected the operation; the message carries their reason',
  drift_report_failed: 'The drift check ran but its report could not be built or stored',
  operation_hook_failed:
    'The engine finished but what its feature keeps of the run (a drift report, the account) could not be stored; retry the operation',
} as const satisfies Record<string, string>;

export type OperationErrorCode = keyof typeof OPERATION_ERROR_CATALOGUE;
export const OPERATION_ERROR_CODES = Object.keys(OPERATION_ERROR_CATALOGUE) as OperationErrorCode[];

export function isOperationErrorCode(code: unknown): code is OperationErrorCode {
  return typeof code === 'string' && Object.hasOwn(OPERATION_ERROR_CATALOGUE, code);
}

/**
 * Fastify's (and its plugins') own client errors, mapped to catalogue codes so clients see one vocabulary.
 * Anything else Fastify answers with a 4xx becomes `bad_request` (or its status' only code).
 */
export const FASTIFY_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_json_body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request',
  FST_ERR_NOT_FOUND: 'route_not_found',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_INVALID_URL: 'bad_url',
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: 'bad_request',
  FST_ERR_ROUTE_MISSING_CONTENT: 'bad_request',
};

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'https://trailwarden.dev/problems/<code>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.Enum(ERROR_CODES, {
      description:
        'Stable machine-readable error code:\n' +
        ERROR_CODES.map(
          (c) => `- \`${c}\` (${ERROR_CATALOGUE[c].status}): ${ERROR_CATALOGUE[c].meaning}`,
        ).join('\n'),
    }),
    errors: Type.Optional(Type.Array(FieldIssueSchema)),
  },
  { $id: 'Problem', title: 'Problem', description: 'RFC 9457 problem details' },
);

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  errors?: FieldIssue[];
}

const PROBLEM_TYPE_BASE = 'https://trailwarden.dev/problems/';

/** Base class of every error with a defined HTTP rendering. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly errors: FieldIssue[] | undefined;
  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    opts?: { errors?: FieldIssue[]; cause?: unknown },
  ) {
    super(detail, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.title = title;
    this.errors = opts?.errors;
  }

  toProblem(instance?: string): Problem {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      code: this.code,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
};

/** A 4xx error of Fastify or a plugin, with its catalogue code (its message kept: it says what is wrong). */
export function fromFrameworkError(err: { statusCode?: number; code?: string; message: string }): AppError {
  const status = err.statusCode ?? 400;
  const mapped = err.code ? FASTIFY_ERROR_CODES[err.code] : undefined;
  // Unmapped: the status' own code when it has exactly one, else the generic bad_request (as a 400).
  const own = codesForStatus(status);
  const code: ErrorCode =
    mapped && ERROR_CATALOGUE[mapped].status === status ? mapped : own.length === 1 ? own[0]! : 'bad_request';
  const title = STATUS_TITLES[ERROR_CATALOGUE[code].status] ?? 'Bad request';
  return new AppError(ERROR_CATALOGUE[code].status, code, title, err.message);
}

/**
 * A refusal by the domain (queue, services), free of HTTP: its `code` is a catalogue code, and the edge
 * (httpErrorOf, app.ts's error handler) renders it with the status the catalogue gives that code. Code
 * below the routes throws these, so it can run without a web server (the reconciler, the CLI, tests).
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail: string, opts?: { cause?: unknown }) {
    super(detail, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

const DOMAIN_TITLES: Record<number, string> = {
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  412: 'Precondition failed',
  428: 'Precondition required',
};

/** The HTTP rendering of a domain error: the catalogue's status for its code, the same titles as AppError's classes. */
export function httpErrorOf(err: DomainError): AppError {
  const status = ERROR_CATALOGUE[err.code].status;
  return new AppError(status, err.code, DOMAIN_TITLES[status] ?? 'Bad request', err.message, { cause: err });
}

export class ValidationFailedError extends AppError {
  constructor(errors: FieldIssue[], detail = 'The request is not valid; see errors for each field.') {
    super(400, 'validation_failed', 'Validation failed', detail, { errors });
  }
}

export class BadRequestError extends AppError {
  constructor(code: string, detail: string) {
    super(400, code, 'Bad request', detail);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, detail?: string) {
    super(404, `${what}_not_found`, 'Not found', detail ?? `${what.replaceAll('_', ' ')} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, detail: string) {
    super(409, code, 'Conflict', detail);
  }
}

/** The caller's If-Match does not name the current version: someone else changed it meanwhile. */
export class PreconditionFailedError extends AppError {
  constructor(detail: string) {
    super(412, 'etag_mismatch', 'Precondition failed', detail);
  }
}

/** RFC 6585 428: an update of an existing resource must say which version it replaces (If-Match). */
export class PreconditionRequiredError extends AppError {
  constructor(detail: string) {
    super(428, 'if_match_required', 'Precondition required', detail);
  }
}

export class NotReadyError extends AppError {
  constructor(detail: string) {
    super(503, 'not_ready', 'Service not ready', detail);
  }
}

export class InternalError extends AppError {
  constructor(cause?: unknown) {
    super(500, 'internal_error', 'Internal server error', 'An unexpected error occurred.', { cause });
  }
}

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A raw schema-validation error as TypeBox (and Ajv) report it. */
interface SchemaError {
  keyword?: string;
  instancePath?: string;
  schemaPath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Turns schema errors into one issue per field, with messages a form can show.
 * Union (anyOf) failures produce an error per branch; keep the deepest ones, since they name the field.
 */
export function schemaErrorsToIssues(errors: readonly SchemaError[], part?: FieldIssue['in']): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const anyOfPaths = new Set(
    errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath ?? ''),
  );
  const hasDeeper = (path: string) =>
    errors.some((e) => (e.instancePath ?? '').startsWith(path + '/') && e.keyword !== 'boolean');
  for (const e of errors) {
    const path = e.instancePath ?? '';
    const params = e.params ?? {};
    // "schema is false" duplicates the additionalProperties error reported on the parent.
    if (e.keyword === 'boolean') continue;
    // A bad key of a map (tags): reported once, at the key's own path, by the errors below.
    if (e.keyword === 'propertyNames' && hasDeeper(path)) continue;
    if (e.schemaPath?.endsWith('/propertyNames')) {
      issues.push({ path, message: `is not an accepted key: ${e.message ?? 'invalid'}` });
      continue;
    }
    if (anyOfPaths.has(path) && e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      if (hasDeeper(path)) continue;
      issues.push({ path, message: 'does not match any of the accepted forms' });
    } else if (e.keyword === 'required' && Array.isArray(params['requiredProperties'])) {
      for (const p of params['requiredProperties'] as string[]) {
        issues.push({ path: `${path}/${escapePointerToken(p)}`, message: 'is required' });
      }
    } else if (e.keyword === 'additionalProperties' && Array.isArray(params['additionalProperties'])) {
      for (const p of params['additionalProperties'] as string[]) {
        issues.push({ path: `${path}/${escapePointerToken(p)}`, message: 'is not an allowed field' });
      }
    } else if (e.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
      const allowed = params['allowedValues'] as unknown[];
      issues.push({
        path,
        message:
          allowed.length <= 8
            ? `must be one of: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
            : 'is not one of the allowed values',
      });
    } else if (e.keyword === 'uniqueItems') {
      issues.push({ path, message: 'must not contain duplicates' });
    } else {
      issues.push({ path, message: e.message ?? 'is not valid' });
    }
  }
  const seen = new Set<string>();
  return issues
    .filter((i) => {
      const key = `${i.path}\u0000${i.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((i) => (part ? { ...i, in: part } : i));
}

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed (errors[] names each field)',
  404: 'Not found',
  409: 'Conflict',
  412: 'If-Match does not name the current ETag',
  428: 'If-Match is required (an update must name the version it replaces)',
  503: 'Not ready',
};

type ProblemRef = ReturnType<typeof sharedRef<typeof ProblemSchema>>;

/** Response schemas for the given error statuses, as problem+json (the shared Problem schema). */
export function problemResponses<S extends number>(...statuses: S[]) {
  const out = {} as Record<
    S,
    { description: string; content: { 'application/problem+json': { schema: ProblemRef } } }
  >;
  for (const s of statuses) {
    out[s] = {
      description: STATUS_DESCRIPTIONS[s] ?? 'Error',
      content: { 'application/problem+json': { schema: sharedRef(ProblemSchema) } },
    };
  }
  return out;
}
