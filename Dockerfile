# pics-sync's images. The default target is the product: one image for every role (push consumer, PICS
# updaters, daily pull, migrations), the role its command: `docker run IMAGE run --side push`, `... db migrate`,
# `... pull daily`. It holds none of the sandbox: no `sandbox` package, no Faker, no embedded PostgreSQL.
# `--target sa-sandbox` is the Smart Assessor stand-in that docker-compose runs, for local use only.
#
# The base is pinned by its exact tag: Python patch release and Debian release. To pin the bytes as
# well, append the digest your registry reports: FROM python:3.11.14-slim-bookworm@sha256:<digest>.
FROM python:3.11.14-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Every third-party package exactly as requirements.lock pins it, each checked against its hash; the build
# backend is among them, so pics-sync is built below without fetching anything more.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock

# A fixed numeric uid, so Kubernetes' runAsNonRoot can check it without a passwd lookup.
RUN groupadd --gid 10001 pics-sync \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin pics-sync

# Only what the product is built from: no tests, no sandbox/.
COPY pyproject.toml README.md /src/
COPY schemas/ /src/schemas/
COPY sync_core/ /src/sync_core/
COPY consumers/ /src/consumers/

# The SA stand-in (`pics-sync sandbox sa`): the product's packages plus sandbox/, which needs no more of
# them (the sandbox extra serves only demo, bench and sandbox stack). Never deploy it.
FROM base AS sa-sandbox
COPY sandbox/ /src/sandbox/
RUN pip install --no-deps --no-build-isolation /src && rm -rf /src
USER 10001:10001
EXPOSE 8700
ENTRYPOINT ["pics-sync"]
CMD ["sandbox", "sa", "--host", "0.0.0.0", "--port", "8700"]

# The production image, and the default target: the last stage.
FROM base AS product
RUN pip install --no-deps --no-build-isolation /src && rm -rf /src
USER 10001:10001
# /healthz, /readyz and /metrics (PICS_SYNC_HTTP_HOST must be 0.0.0.0 for them to be reachable).
EXPOSE 9400
ENTRYPOINT ["pics-sync"]
CMD ["--help"]
