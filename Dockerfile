# 平江县政务服务集成网关 — one image, every app; choose the app with the command.
# The image runs in production mode: every secret comes from the environment (none is generated),
# the city platform must be given (no simulator stands in), and the database is MySQL/MariaDB.
# A start with anything missing or weak exits 1 and lists every variable to fix (see README).
#   docker run -p 3000:3000 --env-file gateway.env IMAGE                                   (all-in-one)
#   docker run --env-file gateway.env IMAGE node dist/apps/ingress/src/main.js             (split: ingress)
#   docker run --env-file gateway.env IMAGE node dist/apps/dispatcher/src/main.js          (split: dispatcher)
# gateway.env: DATABASE_URL, GATEWAY_DATA_KEY, GATEWAY_OPERATOR_TOKEN, CITY_PLATFORM_URL,
#   CITY_PLATFORM_SECRET, PLATFORM_CALLBACK_SECRET, GATEWAY_DEPT_TOKEN_<CODE> for each department,
#   optionally METRICS_TOKEN (secrets and tokens: 32+ random characters, e.g. openssl rand -hex 32).
FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source where its prebuilt binary cannot be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
# Two malloc arenas instead of glibc's up to eight per core: the encryption, checkpoint and
# thread-pool threads each kept their own arena's freed memory; ~20 MiB less at a batch file's peak.
ENV NODE_ENV=production GATEWAY_MODE=production PORT=3000 DATA_DIR=/app/data MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The operators' dashboard is served from these static files (ECharts comes from node_modules).
COPY --from=build /app/libs/ops/assets ./libs/ops/assets
COPY package.json ./
COPY config ./config
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 3000
VOLUME ["/app/data"]
# Over HTTPS when TLS_CERT_FILE is set (the gateway then serves no plain HTTP); loopback only, so the
# certificate's name is not checked here.
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "const c=process.env.TLS_CERT_FILE?require('https'):require('http');c.get({host:'127.0.0.1',port:process.env.PORT||3000,path:'/health/live',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["node", "dist/apps/gateway/src/main.js"]
