# syntax=docker/dockerfile:1
# Build: dependencies first (cached), then the source.
FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --no-deps . && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

# Run: slim, non-root, data on a volume.
FROM python:3.12-slim
RUN groupadd --gid 10001 imagine \
    && useradd --uid 10001 --gid imagine --no-create-home --shell /usr/sbin/nologin imagine \
    && mkdir /data && chown imagine:imagine /data
COPY --from=build /opt/venv /opt/venv
# The root filesystem may be read-only (compose.yaml): never try to write bytecode caches.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 DATA_DIR=/data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# Kept by Docker; podman and buildah keep it only with `--format docker` (the OCI format has no health check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-m", "bot.healthcheck"]
CMD ["imagine-bot"]
