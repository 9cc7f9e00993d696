// The shape of one resource type's behaviour in the sandbox, and the small validators the
// per-service tables (one file per AWS service beside this one) build their schema checks from.
import type { Ctx, Failure } from '../core.ts';
import { UNKNOWN } from '../core.ts';
import type { Op } from '../rules.ts';
import type { Props } from '../state.ts';

export interface ResourceSpec {
  token: string;
  /** Human name used in error messages, as the Terraform provider words it. */
  label: string;
  required: string[];
  /** The name property the bridge autonames when absent. */
  nameProp?: string;
  /** Property holding a user prefix for the generated name. */
  prefixProp?: string;
  /** How the autoname is built from the resource's URN name. */
  autoname?: 'plain' | 'lower' | 'alias' | 'none';
  forceNew: string[];
  /** Terraform schema defaults, filled into the checked inputs. */
  defaults: Props;
  /** Properties holding JSON documents: must parse; compared semantically. */
  jsonProps: string[];
  /** Schema validation (enums, ranges) besides the AWS rules of rules.ts. */
  validate?: (inputs: Props) => Failure[];
  tags: boolean;
  /** The resource id, computed at create time. */
  id: (inputs: Props, ctx: Ctx) => string;
  /** Computed outputs (besides the inputs, which are always echoed). */
  outputs?: (inputs: Props, id: string, ctx: Ctx) => Props;
  /** Service-side checks before create/update besides the rules of rules.ts; throw AwsApiError. */
  precondition?: (inputs: Props, ctx: Ctx, op: Op, id?: string) => void;
}

type Validator = (inputs: Props) => Failure[];

/** The value at a dotted path (`rule.objectOwnership`), undefined when a step is missing. */
function at(inputs: Props, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Props | undefined)?.[k], inputs);
}

/** An enum of the Terraform schema; the reason names the last step of the path, as the provider does. */
export function oneOf(path: string, values: readonly (string | number)[]): Validator {
  const name = path.split('.').at(-1);
  return (inputs) => {
    const v = at(inputs, path);
    if (v === undefined || v === null || v === UNKNOWN) return [];
    return values.includes(v as string)
      ? []
      : [{ property: path, reason: `expected ${name} to be one of [${values.join(' ')}], got ${v}` }];
  };
}

/** An integer range of the Terraform schema. */
export function inRange(prop: string, min: number, max: number): Validator {
  return (inputs) => {
    const v = inputs[prop];
    return typeof v === 'number' && (v < min || v > max)
      ? [{ property: prop, reason: `expected ${prop} to be in the range (${min} - ${max}), got ${v}` }]
      : [];
  };
}

export const all =
  (...fns: Validator[]): Validator =>
  (i) =>
    fns.flatMap((f) => f(i));
