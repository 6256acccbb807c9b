# pics-sync: one image for every role (push consumer, PICS updaters, daily pull, migrations, SA sandbox).
# The role is the command: `docker run IMAGE run --side push`, `... db migrate`, `... pull daily`.
#
# The base is pinned by its exact tag: Python patch release and Debian release. To pin the bytes as
# well, append the digest your registry reports: FROM python:3.11.14-slim-bookworm@sha256:<digest>.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the package is built from; no tests, no test extra, and no sandbox extra: the product and
# `pics-sync sandbox sa` (the SA stand-in docker-compose runs from this image) need only the runtime dependencies.
COPY pyproject.toml README.md /src/
COPY schemas/ /src/schemas/
COPY sync_core/ /src/sync_core/
COPY consumers/ /src/consumers/
COPY sandbox/ /src/sandbox/
RUN pip install /src && rm -rf /src

# A fixed numeric uid, so Kubernetes' runAsNonRoot can check it without a passwd lookup.
RUN groupadd --gid 10001 pics-sync \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin pics-sync
USER 10001:10001

# /healthz, /readyz and /metrics (PICS_SYNC_HTTP_HOST must be 0.0.0.0 for them to be reachable).
EXPOSE 9400
ENTRYPOINT ["pics-sync"]
CMD ["--help"]
