import { Value } from 'typebox/value';
import { type ResolvedTrailRequest, TrailRequest } from './schema.ts';

export class InvalidTrailRequestError extends Error {
  readonly code = 'invalid_trail_request';
  readonly issues: { path: string; message: string }[];
  constructor(issues: { path: string; message: string }[]) {
    super(`invalid trail request: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`);
    this.name = 'InvalidTrailRequestError';
    this.issues = issues;
  }
}

/** Applies the schema's defaults and checks the result; the input is not modified. */
export function resolveTrailRequest(input: unknown): ResolvedTrailRequest {
  const value = Value.Default(TrailRequest, Value.Clone(input));
  if (!Value.Check(TrailRequest, value)) {
    const issues = [...Value.Errors(TrailRequest, value)].map((e) => ({
      path:
        (e as { instancePath?: string; path?: string }).instancePath ?? (e as { path?: string }).path ?? '',
      message: e.message,
    }));
    throw new InvalidTrailRequestError(issues);
  }
  return value as ResolvedTrailRequest;
}
