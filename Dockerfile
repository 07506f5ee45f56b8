# invciv-gateway. Not built on the development machines (they have no Docker engine): kept simple.
# Production runs with DATABASE_URL and INVCIV_PSEUDONYM_KEY set and its own certificates mounted:
#   docker run -e DATABASE_URL=... -e INVCIV_PSEUDONYM_KEY=... \
#     -e INVCIV_TLS_CERT=/tls/server.crt -e INVCIV_TLS_KEY=/tls/server.key -e INVCIV_TLS_CA=/tls/ca.crt \
#     -e INVCIV_TLS_CRL=/tls/ca.crl -v /etc/invciv/tls:/tls:ro -v invciv-data:/var/lib/invciv -p 8443:8443 invciv-gateway
# Stop it with SIGTERM and a grace period (docker stop -t 30): calls in flight finish with their tracce.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    INVCIV_HOST=0.0.0.0 \
    INVCIV_ADMIN_HOST=0.0.0.0 \
    INVCIV_DATA_DIR=/var/lib/invciv
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY wsdl ./wsdl
COPY certs-dev ./certs-dev
RUN mkdir -p /var/lib/invciv && chown node:node /var/lib/invciv
# the spool of tracce written while the database is away lives here: it must outlive the container
VOLUME /var/lib/invciv
USER node
EXPOSE 8443 9443
# Liveness over the admin listener: any certificate of the trusted CA passes the handshake; /health needs no principal.
# Mount a client certificate for it at /tls/health.crt and /tls/health.key (the dev image uses certs-dev/ops).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "const fs=require('fs');const f=(p,d)=>fs.existsSync(p)?p:d;require('https').get({host:'127.0.0.1',port:process.env.INVCIV_ADMIN_PORT||9443,path:'/health',rejectUnauthorized:false,cert:fs.readFileSync(f('/tls/health.crt','certs-dev/ops.crt')),key:fs.readFileSync(f('/tls/health.key','certs-dev/ops.key'))},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["node", "dist/cli/index.js", "serve"]
