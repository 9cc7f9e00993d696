import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { checkBounds, type SchemaViolation, withoutPrimitiveUniqueItems } from '../schema-bounds.ts';
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

/** Compiled once, without the uniqueItems checkBounds does natively (TypeBox's interpreted Check is slow). */
let compiled: { Check(value: unknown): boolean; Errors(value: unknown): SchemaViolation[] } | undefined;

/** Applies the schema's defaults and checks the result; the input is not modified. */
export function resolveTrailRequest(input: unknown): ResolvedTrailRequest {
  const value = Value.Default(TrailRequest, structuredClone(input));
  compiled ??= Compile(withoutPrimitiveUniqueItems(TrailRequest)) as unknown as NonNullable<typeof compiled>;
  const check = compiled;
  const duplicates: SchemaViolation[] = [];
  const over = checkBounds(TrailRequest, value, duplicates);
  if (over || duplicates.length > 0 || !check.Check(value)) {
    const errors = over ? [over] : [...check.Errors(value), ...duplicates];
    const issues = errors.map((e) => ({
      path:
        (e as { instancePath?: string; path?: string }).instancePath ?? (e as { path?: string }).path ?? '',
      message: e.message,
    }));
    throw new InvalidTrailRequestError(issues);
  }
  return value as ResolvedTrailRequest;
}
