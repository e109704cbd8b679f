# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the full toolchain.
# Node 24 LTS (maintained until April 2028), the version scripts/node.sh installs for development and CI.
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json --outDir dist \
 && npm prune --omit=dev

# Runtime stage: production dependencies and compiled JavaScript only.
FROM node:24.22.3-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
# The node image's unprivileged user; the Deployment also sets runAsNonRoot.
USER 1000:1000
EXPOSE 8080 8081
# tini forwards SIGTERM so the operator can release its lease and drain.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/main.js"]
