"""The local stack in one place: Kafka, PostgreSQL and the Smart Assessor sandbox.

Tests, the demo and the benchmarks all start their parts here. Each part is taken from the
environment when it names one, else from testcontainers when a Docker engine answers, else started
as a local process: a KRaft broker from Maven-fetched jars, the embedded PostgreSQL wheel, and the
sandbox server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from sandbox.sa.process import SaSandboxProcess
from sandbox.stack.kafka_broker import LocalKafka
from sandbox.stack.kafka_jars import ensure_jars
from sandbox.stack.postgres import LocalPostgres


@dataclass(frozen=True)
class Stack:
    """Where each part of the running stack answers."""

    kafka_bootstrap: str
    database_url: str  # the server's admin database; see fresh_database for a private one
    sa: SaSandboxProcess | None  # None when SA is an outside server named by the environment
    sa_base_url: str


def docker_answers() -> bool:
    """True when a Docker engine answers (then testcontainers can be used)."""
    if not os.environ.get("DOCKER_HOST") and not os.path.exists("/var/run/docker.sock"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


def start_kafka(exits: ExitStack, *, reuse_env: bool) -> str:
    """A broker's bootstrap servers: from the environment, a container, or a local broker."""
    if reuse_env and os.environ.get("PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS"):
        return os.environ["PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS"]
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        container = exits.enter_context(KafkaContainer().with_kraft())
        return str(container.get_bootstrap_server())
    ensure_jars()
    broker = exits.enter_context(LocalKafka())
    return broker.bootstrap_servers


def start_postgres(exits: ExitStack, *, reuse_env: bool) -> str:
    """A PostgreSQL server URL: ``DATABASE_URL``, a container, or the embedded server."""
    for name in ("PICS_SYNC_DATABASE_URL", "DATABASE_URL"):
        if (reuse_env or name == "DATABASE_URL") and os.environ.get(name):
            return os.environ[name]
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = exits.enter_context(PostgresContainer("postgres:17-alpine", driver=None))
        return str(container.get_connection_url())
    server = LocalPostgres()
    exits.callback(server.stop)
    return server.start()


def start_sa(exits: ExitStack, *, reuse_env: bool) -> tuple[SaSandboxProcess | None, str]:
    """The SA sandbox server (or an outside SA named by ``PICS_SYNC_SA_BASE_URL``)."""
    if reuse_env and os.environ.get("PICS_SYNC_SA_BASE_URL"):
        return None, os.environ["PICS_SYNC_SA_BASE_URL"]
    sa = exits.enter_context(SaSandboxProcess())
    return sa, sa.base_url


@contextmanager
def local_stack(*, reuse_env: bool = True) -> Iterator[Stack]:
    """Start (or reuse) every part; stops what it started on exit."""
    with ExitStack() as exits:
        sa, sa_url = start_sa(exits, reuse_env=reuse_env)
        database = start_postgres(exits, reuse_env=reuse_env)
        kafka = start_kafka(exits, reuse_env=reuse_env)
        yield Stack(kafka_bootstrap=kafka, database_url=database, sa=sa, sa_base_url=sa_url)
