# invciv-gateway image. It could not be built on the development machines (they have no Docker engine);
# test/e2e/production.test.ts runs what the runtime stage holds (dist/, package.json, migrations/, routines/, views/, wsdl/) in
# production mode, and checks that this file copies no key and keeps the admin listener on loopback.
#
# Production needs its own certificates and secrets; nothing falls back to development material:
#   docker run -e DATABASE_URL=postgres://invciv_app@db/invciv -e INVCIV_PSEUDONYM_KEY=... \
#     -e INVCIV_PUBLIC_URL=https://invciv.example.it -e INVCIV_SEAL_KEY=/keys/seal-key.pem \
#     -e INVCIV_TLS_CERT=/tls/server.crt -e INVCIV_TLS_KEY=/tls/server.key -e INVCIV_TLS_CA=/tls/ca.crt \
#     -e INVCIV_TLS_CRL=/tls/ca.crl -v /etc/invciv/tls:/tls:ro -v /etc/invciv/keys:/keys:ro \
#     -v invciv-data:/var/lib/invciv -p 8443:8443 invciv-gateway
# Stop it with SIGTERM and a grace period (docker stop -t 30): calls in flight finish with their tracce.
# The admin listener stays on the container's loopback unless INVCIV_ADMIN_HOST says otherwise.

# Node 26 is the active LTS (Node 20, which the development machines run, reached its end of life in April 2026).
FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# only production dependencies go on: no tsx, no embedded PostgreSQL, no test tools
RUN npm run build && npm prune --omit=dev

FROM node:26-slim
ENV NODE_ENV=production \
    INVCIV_HOST=0.0.0.0 \
    INVCIV_DATA_DIR=/var/lib/invciv \
    INVCIV_HEALTH_PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY routines ./routines
COPY views ./views
COPY wsdl ./wsdl
RUN mkdir -p /var/lib/invciv && chown node:node /var/lib/invciv
# the spool of tracce written while the database is away lives here: it must outlive the container
VOLUME /var/lib/invciv
USER node
EXPOSE 8443
# Liveness on the plain probe port, bound to the container's loopback: no client certificate needed, nothing exposed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.INVCIV_HEALTH_PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Old-generation headroom: at a few thousand calls a second the default growing factor ran a full collection every
# 2-5 s, whose concurrent marking (about 30 ms of a core) showed in the benchmark's slow windows; with the old
# generation let grow to about four times what is live (about 28 MB), one ran in the minute of a run. The cost is
# memory: about 135 MB of heap committed instead of 70 (docs/benchmark-history.md: the half-rate tail). bench/run.ts and
# test/e2e/production.test.ts start the gateway with this line.
CMD ["node", "--heap-growing-percent=300", "--initial-old-space-size=128", "dist/cli/index.js", "serve"]
