// Sandbox drift tools: `npm run sandbox -- <command>`; see src/sandbox/README.md.
//   list   [--account A] [--type T] [--json]
//   show   --account A --type T --id ID
//   drift  --account A --type T --id ID --set prop=jsonValue [--set ...] [--unset prop ...]
//   delete --account A --type T --id ID
// The state root is --dir, else TRAILWARDEN_SANDBOX_DIR, else DATA_DIR/sandbox/state (as the service).
import { parseArgs } from 'node:util';
import { defaultSandboxDir, SandboxState } from './state.ts';

const USAGE = `usage: npm run sandbox -- <command> [options]
  list   [--account A] [--type T] [--json]        list resources in the sandbox state
  show   --account A --type T --id ID             print one resource record as JSON
  drift  --account A --type T --id ID --set prop=jsonValue [--set ...] [--unset prop ...]
                                                  change a resource behind the engine's back
  delete --account A --type T --id ID             delete a resource out of band
options: --dir <sandbox state root> (default: $TRAILWARDEN_SANDBOX_DIR, else $DATA_DIR/sandbox/state,
         DATA_DIR defaulting to ./data as for the service)
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
  const need = (name: 'account' | 'type' | 'id'): string => {
    const v = values[name];
    if (!v) throw new UsageError(`${cmd} needs --${name}`);
    return v;
  };
  switch (cmd) {
    case 'list': {
      const records = state.list({
        ...(values.account ? { accountId: values.account } : {}),
        ...(values.type ? { type: values.type } : {}),
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
      const rec = state.get(need('account'), need('type'), need('id'));
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
      const rec = state.drift(need('account'), need('type'), need('id'), patch);
      out(`drifted ${rec.type} ${rec.id}: ${JSON.stringify(patch)}`);
      return 0;
    }
    case 'delete': {
      const gone = state.remove(need('account'), need('type'), need('id'));
      if (!gone) throw new UsageError(`no ${values.type} ${values.id} in account ${values.account}`);
      out(`deleted ${values.type} ${values.id} out of band`);
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
