import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { ResolvedTrailRequest } from '../src/trail-request/schema.ts';
import { AccountTrailBaseline } from './baseline.ts';
import { markerTags, trailRegions } from './naming.ts';
import { assertBaselineRequest } from './request-rules.ts';

export interface AccountTrailProgramArgs {
  accountId: string;
  request: ResolvedTrailRequest;
  assumeRole?: { roleArn: string; externalId?: string; sessionName?: string };
  /** The organization's management account: owner of an organization trail (defaults to accountId). */
  managementAccountId?: string;
}

export interface DeclaredAccountTrail {
  baseline: AccountTrailBaseline;
  providers: Record<string, aws.Provider>;
  outputs: Record<string, unknown>;
}

function provider(
  region: string,
  args: AccountTrailProgramArgs,
  opts?: pulumi.ComponentResourceOptions,
): aws.Provider {
  const { assumeRole } = args;
  return new aws.Provider(
    `aws-${region}`,
    {
      region: region as aws.Region,
      // Refuses to touch any account but the one the request is for, whatever credentials say.
      allowedAccountIds: [args.accountId],
      assumeRoles: assumeRole
        ? [
            {
              roleArn: assumeRole.roleArn,
              externalId: assumeRole.externalId,
              sessionName: assumeRole.sessionName ?? 'trailwarden',
            },
          ]
        : undefined,
      // Markers last so a request cannot overwrite them.
      defaultTags: { tags: { ...args.request.tags, ...markerTags(args.accountId) } },
    },
    opts?.parent ? { parent: opts.parent } : undefined,
  );
}

/**
 * Declares the providers and the baseline. `opts.parent` lets tests put everything under one
 * component (whose transformations then see every resource).
 */
export function declareAccountTrail(
  args: AccountTrailProgramArgs,
  opts?: pulumi.ComponentResourceOptions,
): DeclaredAccountTrail {
  // Refuse a bad request before anything (providers included) is declared.
  assertBaselineRequest(args.accountId, args.request, args.managementAccountId);
  const home = args.request.homeRegion;
  const providers: Record<string, aws.Provider> = { [home]: provider(home, args, opts) };
  for (const region of trailRegions(args.request)) providers[region] ??= provider(region, args, opts);
  const baseline = new AccountTrailBaseline(
    'baseline',
    {
      accountId: args.accountId,
      request: args.request,
      homeProvider: providers[home]!,
      regionalProviders: providers,
      managementAccountId: args.managementAccountId,
    },
    opts,
  );
  return { baseline, providers, outputs: { ...baseline.outputs } };
}

/** The inline program (PulumiFn) the Automation API runs for one account. */
export function accountTrailProgram(args: AccountTrailProgramArgs): () => Promise<Record<string, unknown>> {
  return async () => declareAccountTrail(args).outputs;
}
