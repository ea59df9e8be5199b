# Commons Hub: the daemon and the `hub` command in one small image.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY connectors connectors
COPY sync sync
COPY config config
COPY hub hub
COPY bots bots
RUN pip install --no-cache-dir . && useradd --create-home hub
USER hub
WORKDIR /data
ENTRYPOINT ["hub"]
CMD ["sync", "--config", "/config/hub.toml"]
