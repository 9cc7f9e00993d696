// What an engine operation needs before it can succeed, checked before the first one fails: the
// Pulumi CLI at the pinned version (both modes) and, in aws mode, the `aws` resource plugin at the
// version of @pulumi/aws in PULUMI_HOME and AWS credentials the engine can resolve. /readyz answers
// 503 with these, and previews/applies/drift checks/decommissions are refused with the same words
// (no engine run that fails a second later). No fallback: a missing piece is named, never replaced.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Mode } from '../config.ts';
import { pinnedAwsPluginVersion, pinnedPulumiVersion } from '../engine/pulumi-cli.ts';
import type { TrailEngine } from '../engine/types.ts';
import { AppError } from '../errors.ts';

export interface PrerequisiteCheck {
  name: 'pulumi-cli' | 'aws-plugin' | 'aws-credentials';
  ok: boolean;
  /** What was found, or what is missing. */
  detail: string;
  /** The command (or setting) that provides it, when missing. */
  fix?: string;
}

/** 503: the engine cannot run an operation yet; the message names the missing piece and its fix. */
export class EngineNotReadyError extends AppError {
  readonly checks: PrerequisiteCheck[];
  constructor(failed: PrerequisiteCheck[]) {
    super(503, 'engine_not_ready', 'Engine not ready', describeFailures(failed));
    this.checks = failed;
  }
}

export function describeFailures(failed: { name: string; detail?: string; fix?: string }[]): string {
  return failed.map((c) => `${c.name}: ${c.detail ?? 'failed'}${c.fix ? `; fix: ${c.fix}` : ''}`).join('; ');
}

export interface PrerequisitesOptions {
  mode: Mode;
  engine: Pick<TrailEngine, 'cliVersion'>;
  /** The engine's PULUMI_HOME (plugins live in <pulumiHome>/plugins). */
  pulumiHome: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Asks the EC2 instance metadata service for a token (the last link of the AWS credential chain).
   * Only called when nothing else provides credentials and AWS_EC2_METADATA_DISABLED is not true.
   */
  probeInstanceMetadata?: () => Promise<boolean>;
}

export class Prerequisites {
  readonly #opts: PrerequisitesOptions;
  readonly #cliVersion = pinnedPulumiVersion();
  readonly #awsVersion = pinnedAwsPluginVersion();

  constructor(opts: PrerequisitesOptions) {
    this.#opts = opts;
  }

  get mode(): Mode {
    return this.#opts.mode;
  }

  async check(): Promise<PrerequisiteCheck[]> {
    const checks = [await this.#cli()];
    if (this.#opts.mode === 'aws') checks.push(this.#plugin(), await this.#credentials());
    return checks;
  }

  /** Throws EngineNotReadyError (503) when any check fails. */
  async assertReady(): Promise<void> {
    const failed = (await this.check()).filter((c) => !c.ok);
    if (failed.length > 0) throw new EngineNotReadyError(failed);
  }

  async #cli(): Promise<PrerequisiteCheck> {
    const fix = 'npm run pulumi-cli';
    try {
      const version = (await this.#opts.engine.cliVersion()).trim().replace(/^v/, '');
      return version === this.#cliVersion
        ? { name: 'pulumi-cli', ok: true, detail: version }
        : { name: 'pulumi-cli', ok: false, detail: `CLI ${version}, expected ${this.#cliVersion}`, fix };
    } catch (err) {
      return {
        name: 'pulumi-cli',
        ok: false,
        detail: `CLI version unknown: ${(err as Error).message}`,
        fix,
      };
    }
  }

  #plugin(): PrerequisiteCheck {
    const home = this.#opts.pulumiHome;
    // Pulumi keeps a plugin in <PULUMI_HOME>/plugins/<kind>-<name>-v<version>, and a sibling
    // `<dir>.partial` while an install has not finished (sdk/go/common/workspace/plugins.go).
    const dir = join(home, 'plugins', `resource-aws-v${this.#awsVersion}`);
    const binary = join(dir, 'pulumi-resource-aws');
    const fix = `PULUMI_HOME=${home} pulumi plugin install resource aws ${this.#awsVersion}`;
    if (existsSync(`${dir}.partial`))
      return { name: 'aws-plugin', ok: false, detail: `the install in ${dir} did not finish`, fix };
    try {
      accessSync(binary, constants.X_OK);
      return { name: 'aws-plugin', ok: true, detail: `${this.#awsVersion} in ${dir}` };
    } catch {
      return {
        name: 'aws-plugin',
        ok: false,
        detail: `pulumi-resource-aws ${this.#awsVersion} is not installed in ${join(home, 'plugins')}`,
        fix,
      };
    }
  }

  async #credentials(): Promise<PrerequisiteCheck> {
    const env = this.#opts.env ?? process.env;
    const source = credentialSource(env);
    if (source) return { name: 'aws-credentials', ok: true, detail: source };
    if (env.AWS_EC2_METADATA_DISABLED !== 'true' && this.#opts.probeInstanceMetadata) {
      if (await this.#opts.probeInstanceMetadata().catch(() => false))
        return { name: 'aws-credentials', ok: true, detail: 'EC2 instance metadata (instance profile)' };
    }
    return {
      name: 'aws-credentials',
      ok: false,
      detail:
        'no AWS credentials found (environment, shared files, web identity, container or instance profile)',
      fix: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE',
    };
  }
}

/**
 * Which link of the AWS SDKs' standard credential provider chain would answer, from what is present
 * locally (no network): access keys in the environment, web identity (role + token file), the
 * shared config/credentials files for AWS_PROFILE (or `default`), container credentials. See "AWS
 * SDKs and Tools standardized credential providers",
 * https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html
 */
export function credentialSource(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return 'environment (AWS_ACCESS_KEY_ID)';
  if (env.AWS_ROLE_ARN && env.AWS_WEB_IDENTITY_TOKEN_FILE && existsSync(env.AWS_WEB_IDENTITY_TOKEN_FILE))
    return 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE)';
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI)
    return 'container credentials (AWS_CONTAINER_CREDENTIALS_*)';
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
  const home = env.HOME || homedir();
  const files: [string, string][] = [
    [env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), `[${profile}]`],
    // In the config file a named profile's section is [profile name]; the default one is [default].
    [
      env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
      profile === 'default' ? '[default]' : `[profile ${profile}]`,
    ],
  ];
  for (const [file, section] of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (text.split(/\r?\n/).some((l) => l.trim() === section)) return `profile ${profile} in ${file}`;
  }
  return undefined;
}

/** IMDSv2: a token PUT answers only on EC2 (and similar); bounded by a short timeout elsewhere. */
export async function probeInstanceMetadata(timeoutMs = 1000): Promise<boolean> {
  const res = await fetch('http://169.254.169.254/latest/api/token', {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return res.ok;
}
