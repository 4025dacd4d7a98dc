# syntax=docker/dockerfile:1
#
# Relayna Gateway image: one compiled executable (proxy + control listeners, with the
# migrations and embedded-mode PGlite inside it) on a minimal glibc base, as a non-root user.
#
#   docker build -t relayna-gateway:0.0.10 .
#
# Secrets (DATABASE_URL, REDIS_URL, LITELLM_SERVICE_KEY, tokens, ...) are never baked in:
# pass them at run time (docker run -e ..., or the Kubernetes Secret relayna-gateway-secrets).

# --- build -------------------------------------------------------------------------------
# Pinned to the Bun release that wrote bun.lock, so --frozen-lockfile reads it as-is.
FROM oven/bun:1.4.5 AS build
WORKDIR /src

# Dependencies first, so source edits reuse this layer. All of them: the build uses dev tools.
COPY package.json bun.lock bunfig.toml ./
RUN bun install --frozen-lockfile

COPY . .
# Produces dist/relayna-gateway. /out/data becomes the embedded-mode data directory below
# (the runtime image has no shell to create it).
RUN bun run build \
 && test -x dist/relayna-gateway \
 && mkdir -p /out/data

# --- runtime -----------------------------------------------------------------------------
# Distroless "cc": glibc + libstdc++ and nothing else (no shell, no package manager). The
# compiled Bun executable needs only glibc. Pin by digest in release pipelines.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime

LABEL org.opencontainers.image.title="Relayna Gateway" \
      org.opencontainers.image.description="AI gateway: OpenAI-compatible proxy (8080) and control API + admin portal (8081)" \
      org.opencontainers.image.source="https://github.com/sarattha/relayna-gateway"

# Root-owned and not writable by the runtime user; only the executable is copied.
COPY --from=build /src/dist/relayna-gateway /usr/local/bin/relayna-gateway

# Embedded mode (DATABASE_URL unset: PGlite on disk, in-memory counters, one replica only)
# needs a writable GATEWAY_DATA_DIR. /data is owned by the runtime user; mount a volume there
# to keep data across containers, e.g. `docker run -v relayna-data:/data ...`. With
# DATABASE_URL set (production, Kubernetes) the directory is unused and the root filesystem
# can be read-only.
COPY --from=build --chown=65532:65532 /out/data /data

ENV GATEWAY_BIND_ADDR=0.0.0.0:8080 \
    GATEWAY_CONTROL_BIND_ADDR=0.0.0.0:8081 \
    LOG_LEVEL=gateway_api=info,gateway_proxy=info \
    GATEWAY_DATA_DIR=/data

# 8080: proxy (client AI and service traffic). 8081: control API, admin portal, /healthz,
# /readyz, /metrics: keep it private (internal network, VPN or network policy).
EXPOSE 8080 8081

# The distroless "nonroot" user, numeric so runAsNonRoot can verify it.
USER 65532:65532

# No HEALTHCHECK: the image has no shell or curl. Orchestrators probe GET /healthz and
# GET /readyz on 8081 (see deploy/kubernetes/relayna-gateway.yaml).

# The gateway is PID 1 (exec form, no shell) and handles SIGTERM itself: it stops accepting,
# drains in-flight requests and streams for GATEWAY_SHUTDOWN_GRACE_SECONDS (default 30),
# flushes pending writes and exits 0. Give `docker stop` more than that: `docker stop -t 40`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/relayna-gateway"]
