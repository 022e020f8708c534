# Junction: builds the TypeScript sources, then runs `junction start` with the example
# flows on the embedded default. Mount your own flows and set JUNCTION_FLOWS to use them.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production JUNCTION_HOST=0.0.0.0
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/examples ./examples
USER node
EXPOSE 8080
CMD ["node", "dist/bin/junction.js", "start"]
