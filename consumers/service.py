"""Wires the pieces from the runtime configuration: database pools, serde, SA client, ports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace

from psycopg_pool import ConnectionPool

from consumers.kafka.registry import make_registry
from sync_core.config import RuntimeConfig
from sync_core.execute import executor
from sync_core.faults import crash_checkpoint, raise_in_rule
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.pics.snapshot import PicsSnapshots
from sync_core.pics.updates import PicsUpdates
from sync_core.pics.writeback import PicsIdWriter
from sync_core.pipeline.process import PipelinePorts
from sync_core.serde import AvroSerde
from sync_core.settings import IntegrationSettings
from sync_core.smart_assessor.at_once import AtOnce
from sync_core.smart_assessor.client import OnCall, SaClient, SaCredentials
from sync_core.smart_assessor.in_doubt import InDoubtWrites
from sync_core.smart_assessor.rate_limit import TokenBucket
from sync_core.state.database import limits_of, migrate, open_pool
from sync_core.state.drift import DriftLog, OnRecord
from sync_core.state.guard import DatabaseCreationGuard
from sync_core.state.hash_key import hash_key
from sync_core.state.ledger import Ledger
from sync_core.state.links import LinkRepository
from sync_core.state.lookups import DatabaseLookups
from sync_core.state.settings_repo import SettingsRepository


class CachedSettings:
    """Integration settings re-read at most every ``ttl`` seconds, so an edit takes effect soon."""

    def __init__(self, load: Callable[[], IntegrationSettings], ttl: float) -> None:
        self._load, self._ttl = load, ttl
        self._lock = threading.Lock()
        self._value: IntegrationSettings | None = None
        self._at = 0.0

    def __call__(self) -> IntegrationSettings:
        with self._lock:
            if self._value is None or time.monotonic() - self._at >= self._ttl:
                self._value, self._at = self._load(), time.monotonic()
            return self._value


@dataclass
class Service:
    """Open connections and the ports built on them; ``close()`` releases them."""

    config: RuntimeConfig
    pool: ConnectionPool
    sa: SaClient
    ports: PipelinePorts
    _exits: ExitStack
    _side: Service | None = None

    @property
    def side(self) -> Service:
        """This service on the side pool, for what runs beside the workers: the console and its redrives,
        /readyz, the metrics and the heartbeat. The workers cannot starve them of connections, nor they
        the workers (PICS_SYNC_DATABASE_SIDE_POOL_SIZE). Itself when it has none."""
        return self._side or self

    def close(self) -> None:
        """Close the SA client and the database pools."""
        self._exits.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def sa_client(config: RuntimeConfig, *, paced: bool = False, on_call: OnCall | None = None) -> SaClient:
    """The SA client for this configuration; ``paced`` applies PICS_SYNC_SA_RATE_LIMIT_PER_S; ``on_call``
    hears of every request (metrics)."""
    credentials = SaCredentials(
        config.sa_username, config.sa_password.get_secret_value(), config.sa_client_key.get_secret_value()
    )
    rate = config.sa_rate_limit_per_s if paced else None
    limiter = None if rate is None else TokenBucket(rate, burst=max(1.0, rate / 20))
    # A connection for each worker (they keep to their own, ``http_pools``); calls at once stay at the cap.
    connections = max(32, config.workers, config.sa_max_concurrency)
    return SaClient(
        config.sa_base_url,
        credentials,
        timeout=config.sa_timeout_s,
        max_connections=connections,
        max_concurrency=config.sa_max_concurrency,
        limiter=limiter,
        on_call=on_call,
    )


def open_service(
    config: RuntimeConfig,
    *,
    paced: bool = False,
    on_sa_call: OnCall | None = None,
    on_drift: OnRecord | None = None,
    migrate_first: bool = True,
) -> Service:
    """Migrate the database and open everything the pipeline needs (``paced``, ``on_sa_call``: see ``sa_client``;
    ``on_drift`` hears of every difference recorded, D3: metrics). ``migrate_first=False`` opens without
    migrating, for a reader whose database user may not change the schema (a read-only monitor).

    Two pools: the workers', and the side pool of what runs beside them (``Service.side``), which
    connects only when used.
    """
    url, bounds = config.database_url.get_secret_value(), limits_of(config)
    if migrate_first:
        migrate(url, bounds)
    with ExitStack() as exits:  # whatever opened is closed again when a later step fails
        # A worker holds one connection at a time, two while it creates a record under the creation
        # guard's lock: one more than there are workers, and some guard holder can always go on. The pool
        # opens connections only as they are wanted; a busy consumer uses a few.
        workers = max(config.workers, config.sa_max_concurrency) + 4
        pool = exits.enter_context(open_pool(url, max_size=workers, limits=bounds))
        side_size = config.database_side_pool_size
        side_pool = exits.enter_context(open_pool(url, min_size=0, max_size=side_size, limits=bounds))
        sa = exits.enter_context(sa_client(config, paced=paced, on_call=on_sa_call))
        at_once = AtOnce()
        exits.callback(at_once.close)
        # Shared by both sets of ports: a write either gave up on may still land in SA for the other too.
        shared = _Shared(_serde(config, exits), InDoubtWrites(config.sa_late_write_window_s),
                         hash_key(pool, config.hash_key), _courses(config, pool, exits), at_once, on_drift)  # fmt: skip
        side = Service(config, side_pool, sa, _ports(config, side_pool, sa, shared), ExitStack())
        service = Service(config, pool, sa, _ports(config, pool, sa, shared), exits.pop_all(), side)
        for each in (service, side):  # the console's redrive of a refresh pulls too
            each.ports = replace(each.ports, pull=_refresh_pulls(each))
        return service


def _refresh_pulls(service: Service) -> Callable[[str], int]:
    """R1 v2's pull half for the push consumer (imported here: the pull itself opens a Service's parts)."""
    from consumers.ops.refresh_pull import RefreshPulls

    return RefreshPulls(service)


def _courses(config: RuntimeConfig, pool: ConnectionPool, exits: ExitStack) -> QualificationLinks:
    courses = QualificationLinks(pool, config.links_ttl_s)
    courses.listen()
    exits.callback(courses.close)
    return courses


def _serde(config: RuntimeConfig, exits: ExitStack) -> AvroSerde:
    """The serde, asking PICS_SYNC_SCHEMA_REGISTRY_URL (with its login and TLS settings) for writer schemas when set."""
    if not config.schema_registry_url:
        return AvroSerde()
    registry = make_registry(config)
    exits.callback(registry.close)
    return AvroSerde(registry=registry)


@dataclass(frozen=True)
class _Shared:
    serde: AvroSerde
    doubts: InDoubtWrites
    hash_key: bytes
    courses: QualificationLinks  # one cache for both sets of ports, told of every refresh (PICS_SYNC_LINKS_TTL_S)
    at_once: AtOnce  # the threads a refresh reads SA's records on at once
    on_drift: OnRecord | None = None


def _ports(config: RuntimeConfig, pool: ConnectionPool, sa: SaClient, shared: _Shared) -> PipelinePorts:
    """The pipeline's ports with every repository on ``pool``."""
    settings = CachedSettings(SettingsRepository(pool).load, config.settings_ttl_s)
    links, ledger = LinkRepository(pool, config.links_cache_size), Ledger(pool)
    execution = executor.ExecutorPorts(
        sa, ledger, links, DatabaseCreationGuard(pool), PicsIdWriter(pool), crash_checkpoint(config.crash_at),
        shared.doubts, hash_key=shared.hash_key, at_once=shared.at_once,
    )  # fmt: skip
    lookups = DatabaseLookups(links, shared.courses)
    return PipelinePorts(
        shared.serde, ledger, lookups, execution, PicsUpdates(pool), settings, PicsSnapshots(pool),
        DriftLog(pool, on_record=shared.on_drift).record,
        rule_fault=raise_in_rule(config.raise_in_rule), zone=config.zone,
    )  # fmt: skip
