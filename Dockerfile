# syntax=docker/dockerfile:1.7
# Production image: Node 24 running the TypeScript sources directly (type stripping), the
# official Pulumi CLI release at the version of @pulumi/pulumi in package.json, and the real
# pulumi-resource-aws plugin at the version of @pulumi/aws. TRAILWARDEN_MODE=aws: no sandbox here.
# Keep the ARG defaults equal to package.json (test/health/dockerfile.test.ts checks).
ARG NODE_VERSION=24.21.0
ARG PULUMI_VERSION=3.260.0
ARG PULUMI_AWS_VERSION=7.48.0

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the `node` devDependency is not needed inside a Node 24 image.
RUN npm ci --omit=dev --no-audit --no-fund

FROM debian:bookworm-slim AS pulumi
ARG PULUMI_VERSION
ARG PULUMI_AWS_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /tmp/pulumi
# The release tarball holds pulumi/pulumi (and its language hosts); src/engine/pulumi-cli.ts runs
# <PULUMI_CLI_ROOT>/bin/pulumi (the Automation API's PulumiCommand layout), so unpack into bin/.
RUN curl -fsSLO "https://get.pulumi.com/releases/sdk/pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz" \
 && curl -fsSLO "https://get.pulumi.com/releases/sdk/pulumi-${PULUMI_VERSION}-checksums.txt" \
 && grep " pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz\$" "pulumi-${PULUMI_VERSION}-checksums.txt" | sha256sum -c - \
 && mkdir -p /opt/pulumi/bin \
 && tar -xzf "pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz" -C /opt/pulumi/bin --strip-components=1 \
 && /opt/pulumi/bin/pulumi version | grep -qx "v${PULUMI_VERSION}"
ENV PULUMI_HOME=/opt/pulumi-home PULUMI_SKIP_UPDATE_CHECK=true
RUN /opt/pulumi/bin/pulumi plugin install resource aws "${PULUMI_AWS_VERSION}" \
 && test -x "/opt/pulumi-home/plugins/resource-aws-v${PULUMI_AWS_VERSION}/pulumi-resource-aws"

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    TRAILWARDEN_MODE=aws \
    PATH=/opt/pulumi/bin:$PATH \
    PULUMI_CLI_ROOT=/opt/pulumi \
    PULUMI_HOME=/opt/pulumi-home \
    PULUMI_SKIP_UPDATE_CHECK=true \
    DATA_DIR=/var/lib/trailwarden \
    HOST=0.0.0.0 \
    PORT=8080
COPY --from=pulumi /opt/pulumi /opt/pulumi
COPY --from=pulumi --chown=node:node /opt/pulumi-home /opt/pulumi-home
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json Pulumi.yaml ./
COPY src ./src
COPY stacks ./stacks
COPY openapi ./openapi
# `docker exec <container> npm run -s token` prints the bootstrap admin token.
COPY scripts/token.ts ./scripts/token.ts
RUN mkdir -p /var/lib/trailwarden && chown node:node /var/lib/trailwarden
# The official image's unprivileged user; nothing here needs root at run time.
USER node
VOLUME ["/var/lib/trailwarden"]
EXPOSE 8080
# Readiness, not liveness: healthy only when an operation can run (database, CLI, aws plugin,
# credentials); `docker inspect` shows /readyz's answer naming what is missing.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(async r=>{if(!r.ok)console.log(await r.text());process.exit(r.ok?0:1)},e=>{console.log(String(e));process.exit(1)})"]
CMD ["node", "src/main.ts"]
