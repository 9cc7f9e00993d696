// Every error the API returns is an RFC 9457 problem document with a stable `code`.
// Handlers throw the typed classes below; the error handler in app.ts renders them.
import { Type } from 'typebox';

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

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    errors: Type.Optional(Type.Array(FieldIssueSchema)),
  },
  { title: 'Problem', description: 'RFC 9457 problem details' },
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

/** Response schemas for the given error statuses, as problem+json. */
export function problemResponses<S extends number>(...statuses: S[]) {
  const out = {} as Record<
    S,
    { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
  >;
  for (const s of statuses) {
    out[s] = {
      description: STATUS_DESCRIPTIONS[s] ?? 'Error',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return out;
}
