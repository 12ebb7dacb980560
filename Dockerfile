# The iot-micro-agent IoT Edge module image (README "IoT Edge"):  docker build -t iot-micro-agent:0.1.0 .
# Two stages: the build stage compiles and packs; the image holds the packed files and production
# dependencies only. The base tag is pinned to a Node release (a moving tag changes the image unseen).

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json README.md ./
COPY packages ./packages
COPY src ./src
COPY collectors ./collectors
COPY config-schema ./config-schema
COPY message-schema ./message-schema
COPY systemd ./systemd
# npm pack runs prepare (tsc) and keeps exactly the package's files, as packaging/build-deb.sh does.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm pack --silent --pack-destination /tmp \
 && mkdir -p /opt/iot-micro-agent/packages \
 && tar -xzf /tmp/iot-micro-agent-*.tgz -C /opt/iot-micro-agent --strip-components=1 --no-same-owner \
 && cp package-lock.json /opt/iot-micro-agent/ \
 && cp -R packages/cn-proc /opt/iot-micro-agent/packages/ \
 && chmod 0755 /opt/iot-micro-agent/dist/src/cli.js
WORKDIR /opt/iot-micro-agent
# Production dependencies only, no install scripts: the process connector addon ships prebuilt binaries
# (linux-x64, linux-arm64) and better-sqlite3 (rpm's sqlite database) is optional.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf package-lock.json node_modules/.bin node_modules/.package-lock.json packages/cn-proc/src packages/cn-proc/scripts \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

FROM node:20.20.2-bookworm-slim
# nft reads the firewall rules of the network namespace the module runs in (NetworkMode host: the host's).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nftables \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid with no login; the state directory is group 0 so the root variant (CapDrop ALL) can write it too.
RUN useradd --system --uid 10001 --gid 0 --no-create-home --home-dir /var/lib/iot-micro-agent --shell /usr/sbin/nologin iot-micro-agent \
 && mkdir -p /var/lib/iot-micro-agent \
 && chown 10001:0 /var/lib/iot-micro-agent \
 && chmod 0770 /var/lib/iot-micro-agent
COPY --from=build /opt/iot-micro-agent /usr/lib/iot-micro-agent
RUN ln -s ../../lib/iot-micro-agent/dist/src/cli.js /usr/local/bin/iot-micro-agent
ENV NODE_ENV=production
VOLUME ["/var/lib/iot-micro-agent"]
USER 10001:0
# No probe: edgeAgent restarts the module when it exits (restartPolicy always), and a probe process every
# interval would cost more memory and CPU than the agent itself.
HEALTHCHECK NONE
ENTRYPOINT ["iot-micro-agent"]
CMD ["run"]
