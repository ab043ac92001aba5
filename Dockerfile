# One image for every Wheelhouse component: `wheelhouse hub`, `wheelhouse agent`,
# `wheelhouse exec-guard` (the charts pick the subcommand). One image keeps the
# versions of hub, agent and exec guard in lockstep and is built and scanned once.

# Node.js 26 is the Active LTS line since 2026-10-28 (Node 20 reached end of
# life on 2026-04-30; 24 is in maintenance). Every package's `engines` admits
# it, and better-sqlite3 12.11.1 builds for it. The official 26 images are
# Debian 13 (trixie). Rebuild regularly: the major tag follows security releases.

# ---- build: compiles TypeScript and the native SQLite addon from source
FROM node:26-trixie AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# .npmrc points node-gyp at the development machine's Node headers (/usr); the
# image's Node and its headers live under /usr/local. The environment wins over
# the project .npmrc.
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/hub/package.json packages/hub/
COPY packages/agent/package.json packages/agent/
COPY packages/exec-guard/package.json packages/exec-guard/
COPY packages/cli/package.json packages/cli/
COPY packages/web/package.json packages/web/
COPY test/cluster/package.json test/cluster/
COPY test/postgres/package.json test/postgres/
COPY test/e2e/package.json test/e2e/
COPY bench/package.json bench/
RUN npm ci --ignore-scripts=false
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY test/cluster test/cluster
# Typechecked with the packages' tests (throw-away PostgreSQL for store tests); not in the runtime image.
COPY test/postgres test/postgres
COPY bench bench
# The hub serves the web console that Vite builds into packages/web/dist/app.
RUN npx tsc -b packages/cli && npm run build -w packages/web && npm prune --omit=dev

# ---- runtime: Node and the built packages only, as an unprivileged user
FROM node:26-trixie-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/packages/protocol/package.json packages/protocol/
COPY --from=build /src/packages/protocol/dist packages/protocol/dist
COPY --from=build /src/packages/hub/package.json packages/hub/
COPY --from=build /src/packages/hub/dist packages/hub/dist
COPY --from=build /src/packages/agent/package.json packages/agent/
COPY --from=build /src/packages/agent/dist packages/agent/dist
COPY --from=build /src/packages/exec-guard/package.json packages/exec-guard/
COPY --from=build /src/packages/exec-guard/dist packages/exec-guard/dist
COPY --from=build /src/packages/web/package.json packages/web/
COPY --from=build /src/packages/web/dist packages/web/dist
COPY --from=build /src/packages/cli/package.json packages/cli/
COPY --from=build /src/packages/cli/dist packages/cli/dist
COPY --from=build /src/test/cluster/package.json test/cluster/
COPY --from=build /src/test/cluster/dist test/cluster/dist
RUN groupadd --system --gid 10001 wheelhouse && useradd --system --uid 10001 --gid 10001 --no-create-home wheelhouse \
 && mkdir -p /var/lib/wheelhouse && chown 10001:10001 /var/lib/wheelhouse
USER 10001:10001
EXPOSE 8080 8443
ENTRYPOINT ["node", "/app/packages/cli/dist/src/main.js"]
CMD ["hub", "--listen", "0.0.0.0:8080", "--data-dir", "/var/lib/wheelhouse"]
