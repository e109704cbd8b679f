# syntax=docker/dockerfile:1
# Two stages: TypeScript is compiled with the full toolchain; the runtime
# image is distroless (Node.js and glibc, no shell, no npm, yarn or corepack).
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 (docs/install.md).
#
# Base images are pinned by digest (multi-platform index digests); the tags
# are kept for reading. To move to newer ones, look the digest of a tag up with
# `docker buildx imagetools inspect <image:tag>` and update tag and digest together.
#
# Build stage: Node.js 24.21.0 on Debian 12, run on the build machine's own
# platform: it only installs JavaScript and compiles it.
ARG BUILD_IMAGE=node:24.21.0-bookworm-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6
# Runtime stage: distroless Node.js 24 (Debian 12), non-root variant. Distroless
# tags name only the major version; this digest was published with Node.js
# 24.14.0. Check with `docker run --rm <image> --version` (its entry point is node).
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a

FROM --platform=$BUILDPLATFORM ${BUILD_IMAGE} AS build
# Set by buildx for each platform built; npm then resolves platform-specific
# optional packages for the image's platform, not the build machine's.
ARG TARGETARCH
WORKDIR /src
COPY package.json package-lock.json ./
RUN cpu="$TARGETARCH" \
 && if [ "$cpu" = amd64 ]; then cpu=x64; fi \
 && npm ci --no-audit --no-fund --os=linux --cpu="$cpu"
COPY tsconfig.json ./
COPY src ./src
RUN cpu="$TARGETARCH" \
 && if [ "$cpu" = amd64 ]; then cpu=x64; fi \
 && npx tsc -p tsconfig.json --outDir dist \
 && npm prune --omit=dev --os=linux --cpu="$cpu"

# Runtime stage: production dependencies, compiled JavaScript and package.json
# (the operator reads its version from it).
FROM --platform=$TARGETPLATFORM ${RUNTIME_IMAGE}
# The release (package.json's version), the git commit and the build time
# (RFC 3339); docs/install.md shows the build command that sets them.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=
LABEL org.opencontainers.image.title="stateful-volume-operator" \
      org.opencontainers.image.description="Kubernetes operator for stateful workloads: volumes that follow their pods, scheduled backups, zone failover." \
      org.opencontainers.image.source="https://github.com/stateful-dev/stateful-volume-operator" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
WORKDIR /app
ENV NODE_ENV=production
ENV SVO_REVISION=${REVISION}
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
# distroless' "nonroot" user, by number so that the kubelet can check runAsNonRoot.
USER 65532:65532
EXPOSE 8443 8081
# Exec form, no shell: node is PID 1 and receives SIGTERM itself. The operator
# handles SIGTERM (releases its Lease, finishes running reconciles) and starts
# no child processes, so there is nothing for an init process to forward or reap.
ENTRYPOINT ["/nodejs/bin/node", "dist/src/main.js"]
