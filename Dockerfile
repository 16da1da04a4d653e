# syntax=docker/dockerfile:1
# The taskdash backend. Used by docker-compose.yml; builds from the repository root.

# --- build: install everything, generate the Prisma client, compile with swc -----------
FROM node:20-slim AS build
WORKDIR /app
# corepack cannot verify pnpm's signatures on some networks; npm always works.
RUN npm install -g pnpm@10
# Non-interactive pnpm (no prompts when the dependency set changes below).
ENV CI=true
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/backend/package.json apps/backend/
COPY apps/dashboard/package.json apps/dashboard/
COPY packages/contract/package.json packages/contract/
COPY packages/client/package.json packages/client/
COPY packages/testkit/package.json packages/testkit/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm prisma:generate && pnpm build
# Reinstall with production dependencies only (from the store, no network) for the runtime
# image: removing node_modules first also drops the dev packages from pnpm's virtual store.
RUN rm -rf node_modules apps/*/node_modules packages/*/node_modules \
 && pnpm install --frozen-lockfile --prod --offline

# --- runtime -----------------------------------------------------------------------------
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
# The whole build stage's /app: dist/ needs node_modules (pnpm's symlinked layout), the
# workspace packages' dist/ and prisma/migrations (the app applies pending migrations
# itself at start-up).
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains: readiness answers 503 for DRAIN_READINESS_DELAY_MS (5 s with NODE_ENV=production)
# while the node still serves, then sockets close, the listener closes, pending events are stored.
CMD ["node", "apps/backend/dist/main.js"]
