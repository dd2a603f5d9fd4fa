# Lifeboat container image. Build: `docker build -t lifeboat .`
# Run:  docker run -e REDIS_URL=redis://redis:6379 -e SLACK_BOT_TOKEN=… -e SLACK_APP_TOKEN=… -p 3000:3000 lifeboat
# The image has no redis-server of its own: point REDIS_URL at Redis/ElastiCache (maxmemory-policy noeviction).

# --- build: compile TypeScript with the full dependency set ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only ---
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production LIFEBOAT_PORT=3000 LIFEBOAT_DATA_DIR=/var/lib/lifeboat
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yaml ./
COPY bin ./bin
COPY commands ./commands
COPY runbooks ./runbooks
RUN mkdir -p /var/lib/lifeboat && chown node:node /var/lib/lifeboat
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.LIFEBOAT_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/lifeboat.mjs", "start"]
