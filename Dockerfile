# One image for the worker and the node agent; the Helm chart picks the entry point:
#   worker: node dist/worker.mjs     agent: node dist/agent.mjs
# The build stage bundles both entry points with esbuild, so the runtime stage needs no
# node_modules at all: no dev dependencies, no package manager run, a small attack surface.
ARG NODE_IMAGE=node:22-bookworm-slim

# The bundles are plain JavaScript: build them once on the builder's own platform, even for a
# multi-platform image, instead of under emulation per target platform.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY lib ./lib
# ESM output; the banner gives bundled CommonJS dependencies the require() they call for Node built-ins.
RUN ["node_modules/.bin/esbuild", "bin/worker.ts", "bin/agent.ts", "--bundle", "--platform=node", "--target=node22", "--format=esm", "--minify", "--sourcemap", "--outdir=dist", "--out-extension:.js=.mjs", "--banner:js=import { createRequire as __netcheckCreateRequire } from 'node:module'; const require = __netcheckCreateRequire(import.meta.url);"]

FROM ${NODE_IMAGE} AS runtime
# The agent reads netfilter, conntrack and (kube-proxy in IPVS mode) IPVS with the distribution's
# own tools (bookworm: nftables 1.0.6, iptables 1.8.9 with iptables-nft and -legacy,
# conntrack-tools 1.4.7, ipvsadm 1.31: the versions its parsers are tested against). The worker
# never runs them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables nftables conntrack ipvsadm \
 && rm -rf /var/lib/apt/lists/*
# uid 10001 has no passwd entry; the AWS SDK and the kube client look for config under $HOME.
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOME=/tmp
WORKDIR /app
COPY --from=build /src/dist ./dist
# Numeric so Kubernetes can verify runAsNonRoot without reading /etc/passwd; matches the chart.
USER 10001:10001
CMD ["node", "dist/worker.mjs"]
