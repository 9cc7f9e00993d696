# syntax=docker/dockerfile:1.7
# Production image: Node 24 running the TypeScript sources directly (type stripping), the
# official Pulumi CLI release at the version of @pulumi/pulumi in package.json, and the real
# pulumi-resource-aws plugin at the version of @pulumi/aws. No sandbox provider is used here.
# Keep the two ARG defaults equal to package.json (test/foundation/dockerfile.test.ts checks).
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
RUN curl -fsSLO "https://get.pulumi.com/releases/sdk/pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz" \
 && curl -fsSLO "https://get.pulumi.com/releases/sdk/pulumi-${PULUMI_VERSION}-checksums.txt" \
 && grep " pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz\$" "pulumi-${PULUMI_VERSION}-checksums.txt" | sha256sum -c - \
 && tar -xzf "pulumi-v${PULUMI_VERSION}-linux-x64.tar.gz" -C /opt \
 && /opt/pulumi/pulumi version | grep -qx "v${PULUMI_VERSION}"
ENV PULUMI_HOME=/opt/pulumi-home PULUMI_SKIP_UPDATE_CHECK=true
RUN /opt/pulumi/pulumi plugin install resource aws "${PULUMI_AWS_VERSION}"

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    PATH=/opt/pulumi:$PATH \
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
RUN mkdir -p /var/lib/trailwarden && chown node:node /var/lib/trailwarden
# The official image's unprivileged user; nothing here needs root at run time.
USER node
VOLUME ["/var/lib/trailwarden"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "src/main.ts"]
