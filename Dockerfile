# courier: the rendering and notification worker of a Toucan stack.
# The install steps are the README's (scripts/setup.sh): the same Debian
# package list, npm install, npm run build.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install runs the package's `prepare` script, which builds only for a git-dependency install, not here.
COPY scripts/prepare-git-dependency.js ./scripts/
# As scripts/setup.sh: npm install keeps the locked versions (see the comment there).
RUN npm install --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# Chromium as its headless shell (the engine without the browser's UI,
# which costs CPU on every job: src/browser/chromium.ts), fonts (Latin,
# Greek, Cyrillic and CJK, so stories never show tofu), and tini as PID 1:
# it reaps Chromium's helper processes, so no zombie survives a crashed
# browser.
COPY scripts/debian-packages.runtime /tmp/debian-packages.runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(cat /tmp/debian-packages.runtime) \
 && rm -rf /var/lib/apt/lists/* /tmp/debian-packages.runtime

ENV NODE_ENV=production \
    CHROMIUM_PATH=/usr/lib/chromium/chromium-headless-shell \
    ARTIFACTS_DIR=/var/lib/courier/artifacts \
    HTTP_PORT=9464

WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY templates ./templates
COPY lua ./lua
COPY jobs ./jobs
COPY demo ./demo

RUN useradd --system --uid 10001 --home-dir /var/lib/courier --create-home courier \
 && mkdir -p /var/lib/courier/artifacts \
 && chown -R courier:courier /var/lib/courier
USER courier

EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/courier.js"]
CMD ["worker"]
