# Commons Hub: `hub daemon` (and every other `hub` command) in one small image.
#   docker compose up -d        runs it with its PostgreSQL state store (see docker-compose.yml)
# The process runs as the unprivileged user `hub` (uid 10001): its data directory /data (the
# exports, served under /public/) is created here and owned by it, so the named volume mounted
# there starts out writable. The configuration is mounted read-only at /config.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HUB_CONFIG=/config/hub.toml

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY sync sync
COPY connectors connectors
COPY bots bots
COPY hub hub
RUN pip install --no-cache-dir . \
    && rm -rf /app/build \
    && useradd --uid 10001 --user-group --create-home --home-dir /home/hub --shell /usr/sbin/nologin hub \
    && mkdir -p /data/public /config \
    && chown -R hub:hub /data

USER hub
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8765
ENTRYPOINT ["hub"]
CMD ["daemon", "--config", "/config/hub.toml", "--listen", "0.0.0.0:8765"]
