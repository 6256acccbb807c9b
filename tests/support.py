"""Helpers the test kinds share."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sync_core.config import RuntimeConfig

if TYPE_CHECKING:  # a unit test that waits on something need not import the service and the sandbox
    from consumers.service import Service
    from sandbox.sa.process import SaSandboxProcess

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 30.0, interval: float = 0.1) -> T:
    """Poll until ``predicate`` returns something truthy; fail with a clear message after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def process_env(config: RuntimeConfig, **extra: str) -> dict[str, str]:
    """The environment of a ``pics-sync`` process on a test's broker, database, sandbox, topics and group."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PICS_SYNC_")}
    return inherited | {
        "PICS_SYNC_KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap_servers,
        "PICS_SYNC_DATABASE_URL": config.database_url.get_secret_value(),
        "PICS_SYNC_SA_BASE_URL": config.sa_base_url,
        "PICS_SYNC_SA_USERNAME": config.sa_username,
        "PICS_SYNC_SA_PASSWORD": config.sa_password.get_secret_value(),
        "PICS_SYNC_SA_CLIENT_KEY": config.sa_client_key.get_secret_value(),
        "PICS_SYNC_TOPIC_PREFIX": config.topic_prefix,
        "PICS_SYNC_KAFKA_GROUP_ID": config.kafka_group_id,
        "PICS_SYNC_SETTINGS_TTL_S": "0",
        "PICS_SYNC_LOG_LEVEL": "WARNING",
        "PICS_SYNC_HTTP_PORT": "0",  # several processes run at once; a test that wants the port sets one
        **extra,
    }


# D6: how U2, U3 and U10 find a PICS record's SA record: its MIS id, or its natural key (PICS's, SA's names).
_NATURAL_KEYS = {
    "learners": ("SELECT learner_ident, uln FROM pics.learner", ("uln",)),
    "employers": ("SELECT id, edrs_number, postcode FROM pics.organisation", ("edrsNumber", "postcode")),
    "assessors": ("SELECT id, email FROM pics.officer", ("email",)),
}


def _natural(values: Iterable[Any]) -> tuple[str, ...]:
    """A natural key as SA's search compares it: any case, spaces ignored."""
    return tuple("".join(str(value or "").split()).casefold() for value in values)


def duplicate_sa_records(service: Service, sa: SaSandboxProcess) -> dict[str, list[str]]:
    """D6, U10: per kind (learners, employers, assessors), the PICS records SA holds more than one record of,
    found as the sync finds them: by MIS id, or by natural key (ULN; EDRS Number and Postcode; Email). Empty
    when none. SA refuses a second record under a MIS id it holds, so a duplicate has another MIS id."""
    held = {"learners": sa.learners(), "employers": sa.employers(), "assessors": sa.assessors()}
    found: dict[str, list[str]] = {}
    with service.pool.connection() as conn:
        for kind, (query, names) in _NATURAL_KEYS.items():
            for pics_id, *key in conn.execute(query):
                if sum(_is_of(record, pics_id, _natural(key), names) for record in held[kind]) > 1:
                    found.setdefault(kind, []).append(str(pics_id))
    return found


def _is_of(record: Mapping[str, Any], pics_id: str, key: tuple[str, ...], names: Sequence[str]) -> bool:
    """True when the SA record is the PICS record's: its MIS id, or the whole natural key, is the record's."""
    return record.get("misId") == pics_id or (all(key) and _natural(record.get(n) for n in names) == key)


@dataclasses.dataclass(frozen=True)
class SaWrite:
    """One update the pipeline sent SA: the client method, the ids it named and the fields it set."""

    method: str
    ids: tuple[str, ...]
    fields: Mapping[str, Any]


class RecordingSa:
    """An SA client that keeps every update it sends, in the order sent, and passes every call on.

    The sandbox's call log shows which records were written and in what order, not the values; this
    keeps the values, so a test can tell which value each write of a field carried."""

    UPDATES = ("update_learner", "update_employer", "update_assessor", "update_enrolment")

    def __init__(self, sa: Any) -> None:
        self._sa, self._lock = sa, threading.Lock()
        self.writes: list[SaWrite] = []

    def __getattr__(self, name: str) -> Any:
        passed_on = getattr(self._sa, name)
        if name not in self.UPDATES:
            return passed_on

        def update(*args: Any) -> Any:
            with self._lock:
                self.writes.append(SaWrite(name, tuple(str(a) for a in args[:-1]), dict(args[-1])))
            return passed_on(*args)

        return update

    def values_of(self, method: str, record_id: str, field: str) -> list[Any]:
        """The values the writes of ``field`` of one record carried, oldest first."""
        return [
            w.fields[field] for w in self.writes if (w.method, w.ids[-1]) == (method, record_id) and field in w.fields
        ]


@contextmanager
def sa_writes_recorded(service: Service) -> Iterator[RecordingSa]:
    """While open, the SA updates the service's pipeline sends are recorded (``RecordingSa``)."""
    ports = service.ports
    recorder = RecordingSa(ports.execution.sa)
    service.ports = dataclasses.replace(ports, execution=dataclasses.replace(ports.execution, sa=recorder))
    try:
        yield recorder
    finally:
        service.ports = ports
