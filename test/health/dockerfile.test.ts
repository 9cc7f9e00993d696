// The image is built elsewhere (no Docker here), so its promises are checked by reading: the pinned
// versions match package.json, the CLI sits where src/engine/pulumi-cli.ts looks, the mode is aws,
// and the health check asks for readiness.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

const root = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const arg = (name: string) => new RegExp(`^ARG ${name}=(.+)$`, 'm').exec(dockerfile)?.[1];

t.test('the ARG defaults are the versions package.json pins', async (t) => {
  t.equal(arg('NODE_VERSION'), pkg.devDependencies.node);
  t.equal(arg('PULUMI_VERSION'), pkg.dependencies['@pulumi/pulumi']);
  t.equal(arg('PULUMI_AWS_VERSION'), pkg.dependencies['@pulumi/aws']);
});

t.test('the CLI is unpacked into <PULUMI_CLI_ROOT>/bin, where PulumiCommand runs it', async (t) => {
  const cliRoot = /PULUMI_CLI_ROOT=(\S+)/.exec(dockerfile)?.[1];
  t.equal(cliRoot, '/opt/pulumi');
  t.match(
    dockerfile,
    /tar -xzf "pulumi-v\$\{PULUMI_VERSION\}-linux-x64\.tar\.gz" -C \/opt\/pulumi\/bin --strip-components=1/,
  );
  t.match(dockerfile, /\/opt\/pulumi\/bin\/pulumi version \| grep -qx "v\$\{PULUMI_VERSION\}"/);
  t.match(dockerfile, /PATH=\/opt\/pulumi\/bin:\$PATH/);
  t.notMatch(dockerfile, /\/opt\/pulumi\/pulumi\b/, 'nothing runs the release layout path');
});

t.test('aws mode, its plugin in PULUMI_HOME, readiness as the health check', async (t) => {
  t.match(dockerfile, /TRAILWARDEN_MODE=aws/);
  t.match(dockerfile, /PULUMI_HOME=\/opt\/pulumi-home/);
  t.match(dockerfile, /plugin install resource aws "\$\{PULUMI_AWS_VERSION\}"/);
  const health = /^HEALTHCHECK .*$/m.exec(dockerfile)?.[0] ?? '';
  t.match(health, /\/readyz/);
  t.notMatch(health, /\/healthz/);
  t.notMatch(dockerfile, /test\/foundation/, 'no reference to a test that does not exist');
});
