// Sandbox drift tools: `npm run sandbox -- <command>`; see src/sandbox/README.md.
//   list   [--account A] [--type T] [--json]
//   show   --account A --type T --id ID
//   drift  --account A --type T --id ID --set prop=jsonValue [--set ...] [--unset prop ...]
//   delete --account A --type T --id ID
//   confirm-subscription --account A --id SUBSCRIPTION_ARN
//   organization --management-account A [--id o-…] [--member B ...]
// The state root is --dir, else TRAILWARDEN_SANDBOX_DIR, else DATA_DIR/sandbox/state (what the
// service writes; DATA_DIR defaults to ./data).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { T } from './core.ts';
import { defaultSandboxDir, SandboxState } from './state.ts';

const USAGE = `usage: npm run sandbox -- <command> [options]
  list   [--account A] [--type T] [--json]        list resources in the sandbox state
  show   --account A --type T --id ID             print one resource record as JSON
  drift  --account A --type T --id ID --set prop=jsonValue [--set ...] [--unset prop ...]
                                                  change a resource behind the engine's back
  delete --account A --type T --id ID             delete a resource out of band
  confirm-subscription --account A --id ARN       confirm a pending SNS subscription (the endpoint
                                                  owner clicking the link, ConfirmSubscription)
  organization --management-account A [--id o-x] [--member B ...]
                                                  make A the management account of an organization
options: --dir <sandbox state root> (default: $TRAILWARDEN_SANDBOX_DIR, else $DATA_DIR/sandbox/state,
         DATA_DIR defaulting to ./data), --region R (regional resources: which region's; needed
         only when the id exists in several)
types are Pulumi type tokens, e.g. aws:cloudtrail/trail:Trail; values of --set are JSON
(a bare word that is not JSON is taken as a string): --set enableLogging=false --set 'tags={"a":"b"}'`;

export class UsageError extends Error {}

/** Parses `prop=value`; the value is JSON when it parses, else a plain string. */
export function parseAssignment(arg: string): [string, unknown] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set expects prop=jsonValue, got ${JSON.stringify(arg)}`);
  const raw = arg.slice(eq + 1);
  try {
    return [arg.slice(0, eq), JSON.parse(raw)];
  } catch {
    return [arg.slice(0, eq), raw];
  }
}

export function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (s: string) => void = console.log,
): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      account: { type: 'string' },
      type: { type: 'string' },
      id: { type: 'string' },
      region: { type: 'string' },
      'management-account': { type: 'string' },
      member: { type: 'string', multiple: true },
      set: { type: 'string', multiple: true },
      unset: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd] = positionals;
  if (values.help || !cmd) {
    out(USAGE);
    return values.help ? 0 : 2;
  }
  const state = new SandboxState(values.dir ?? defaultSandboxDir(env));
  const need = (name: 'account' | 'type' | 'id' | 'management-account'): string => {
    const v = values[name];
    if (!v) throw new UsageError(`${cmd} needs --${name}`);
    return v;
  };
  switch (cmd) {
    case 'list': {
      const records = state.list({
        ...(values.account ? { accountId: values.account } : {}),
        ...(values.type ? { type: values.type } : {}),
        ...(values.region ? { region: values.region } : {}),
      });
      if (values.json) {
        out(JSON.stringify(records, null, 2));
      } else if (records.length === 0) {
        out(`no resources in ${state.root}`);
      } else {
        for (const r of records) out(`${r.accountId}  ${r.region}  ${r.type}  ${r.id}`);
      }
      return 0;
    }
    case 'show': {
      const rec = state.get(need('account'), need('type'), need('id'), values.region);
      if (!rec) throw new UsageError(`no ${values.type} ${values.id} in account ${values.account}`);
      out(JSON.stringify(rec, null, 2));
      return 0;
    }
    case 'drift': {
      const patch: Record<string, unknown> = {};
      for (const s of values.set ?? []) {
        const [k, v] = parseAssignment(s);
        patch[k] = v;
      }
      for (const k of values.unset ?? []) patch[k] = null;
      if (Object.keys(patch).length === 0) throw new UsageError('drift needs at least one --set or --unset');
      const rec = state.drift(need('account'), need('type'), need('id'), patch, values.region);
      out(`drifted ${rec.type} ${rec.id}: ${JSON.stringify(patch)}`);
      return 0;
    }
    case 'delete': {
      const gone = state.remove(need('account'), need('type'), need('id'), values.region);
      if (!gone) throw new UsageError(`no ${values.type} ${values.id} in account ${values.account}`);
      out(`deleted ${values.type} ${values.id} out of band`);
      return 0;
    }
    case 'confirm-subscription': {
      // ConfirmSubscription: the endpoint owner follows the link SNS sent; from then on the
      // subscription is confirmed and a refresh reads pendingConfirmation: false.
      const account = need('account');
      const id = need('id');
      const rec = state.get(account, T.subscription, id, values.region);
      if (!rec) throw new UsageError(`no SNS subscription ${id} in account ${account}`);
      if (rec.outputs.pendingConfirmation !== true) {
        out(`subscription ${id} is already confirmed`);
        return 0;
      }
      rec.outputs = { ...rec.outputs, pendingConfirmation: false, confirmationWasAuthenticated: true };
      state.put(rec);
      out(`confirmed ${rec.inputs.protocol} subscription ${id} (${rec.inputs.endpoint})`);
      return 0;
    }
    case 'organization': {
      // AWS Organizations is outside what the program manages; the sandbox needs to know which
      // account is the management account for the organization-trail rules.
      const management = need('management-account');
      if (!/^\d{12}$/.test(management))
        throw new UsageError('--management-account needs a 12-digit account id');
      const id = values.id ?? `o-${randomBytes(5).toString('hex')}`;
      if (!/^o-[a-z0-9]{10,32}$/.test(id)) throw new UsageError(`invalid organization id ${id}`);
      const members = [...new Set([management, ...(values.member ?? [])])];
      state.put({
        type: T.organization,
        id,
        accountId: management,
        region: 'us-east-1',
        inputs: {},
        outputs: {
          id,
          arn: `arn:aws:organizations::${management}:organization/${id}`,
          masterAccountId: management,
          featureSet: 'ALL',
          accounts: members,
        },
      });
      out(`organization ${id}: management account ${management}, members ${members.join(', ')}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${cmd}\n${USAGE}`);
  }
}

if (import.meta.main) {
  try {
    process.exitCode = runCli(process.argv.slice(2));
  } catch (err) {
    console.error(`sandbox: ${(err as Error).message}`);
    process.exitCode =
      err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
