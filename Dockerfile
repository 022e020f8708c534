# Junction: builds the TypeScript sources, then runs `junction start` with the example
# flows on the embedded default, its store in the /app/data volume. Mount your own flows and
# set JUNCTION_FLOWS to use them. Runs as the unprivileged `node` user; the health check is
# `junction health`, which reads the configuration as `start` does (JUNCTION_HOST, JUNCTION_PORT)
# and asks /healthz (the slim image has no curl). Name a configuration file with JUNCTION_CONFIG
# (every command reads it, the health check included) rather than with --config.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production JUNCTION_HOST=0.0.0.0 JUNCTION_DATA_DIR=/app/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/examples ./examples
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME /app/data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "dist/bin/junction.js", "health"]
CMD ["node", "dist/bin/junction.js", "start"]
