# One image for every urna service; the compose file picks the entry point per service.
# Services run TypeScript through tsx (a runtime dependency), exactly as `npm start` does.
ARG NODE_VERSION=24
FROM node:${NODE_VERSION}-bookworm-slim AS deps
# node-gyp toolchain: @confluentinc/kafka-javascript builds its addon and bundled librdkafka
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/domain/package.json packages/domain/
COPY packages/log/package.json packages/log/
COPY packages/store/package.json packages/store/
COPY packages/tally/package.json packages/tally/
COPY packages/auth/package.json packages/auth/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/embedded/package.json packages/embedded/
COPY ingest/package.json ingest/
COPY tally-worker/package.json tally-worker/
COPY results-sse/package.json results-sse/
COPY edge/package.json edge/
COPY packages/transparency/package.json packages/transparency/
COPY web/package.json web/
RUN CKJS_LINKING=dynamic npm ci --omit=dev --no-audit --no-fund

# the web pages: vite is a build-time dependency only
FROM node:${NODE_VERSION}-bookworm-slim AS web
WORKDIR /app
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund && node node_modules/vite/bin/vite.js build web

# the edge (docker-compose target `edge`): nginx, urna's template (the image's envsubst renders
# it at start into conf.d) and the built pages
FROM nginx:1.27-bookworm AS edge
RUN rm -f /etc/nginx/conf.d/default.conf
COPY edge/urna.conf.template /etc/nginx/templates/urna.conf.template
COPY --from=web /app/web/dist /usr/share/urna/web

FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g libstdc++6 ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=web /app/web/dist ./web/dist
ENV NODE_ENV=production URNA_HOST=0.0.0.0
USER node
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "tsx"]
CMD ["ingest/src/main.ts"]
