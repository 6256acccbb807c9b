"""The one exception tree of pics-sync. The class decides the action.

    SyncError
    ├── TransientError          retried with backoff, then the event waits
    │   ├── SaUnavailable       SA timed out, refused the connection or answered 5xx
    │   ├── SaRateLimited       SA answered 429; ``retry_after`` in seconds when it said so
    │   ├── DatabaseUnavailable the sync-state or PICS database could not be reached
    │   └── RegistryUnavailable the schema registry did not answer (consumers/kafka/registry.py)
    ├── PermanentError          the event is parked with its reason; the stream goes on
    │   ├── SaRejected          SA answered 4xx: ``status``, ``code``, ``field``
    │   ├── SaNotFound          SA has no such record (404)
    │   ├── MappingError        a rule cannot map the event; ``rule`` names the DOMAIN.md id
    │   └── UndecodableEvent    the bytes are not an event we can read
    └── FatalError              stop the consumer, commit nothing
        ├── ConfigurationError  a setting or environment variable is invalid
        ├── GaveUp              a hand-run tool (redrive, replay, pull) ran out of tries
        └── RegistryRefused     the schema registry refused our credentials (consumers/kafka/registry.py)

What each class means for a loop (retry, park, stop) is decided in one place:
``sync_core.pipeline.policy.decide``. Anything raised that is not a ``SyncError`` parks its event
there, under its class name.

Attributes carry ids, codes and rule ids, never personal values: messages end up in logs.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error pics-sync raises on purpose."""


class TransientError(SyncError):
    """Worth retrying: the cause is expected to pass."""


class SaUnavailable(TransientError):
    """Smart Assessor did not answer usefully (timeout, connection error, 5xx)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SaTimedOut(SaUnavailable):
    """We gave up waiting after the request went out: SA may still apply it later (a write in doubt)."""


class SaRateLimited(TransientError):
    """Smart Assessor answered 429."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseUnavailable(TransientError):
    """The database could not be reached."""


class PermanentError(SyncError):
    """Retrying will not help: park the event with this reason."""

    reason = "permanent error"


class SaRejected(PermanentError):
    """Smart Assessor refused the request (4xx other than 404 and 429)."""

    reason = "rejected by Smart Assessor"

    def __init__(self, message: str, *, status: int, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field


class SaNotFound(PermanentError):
    """Smart Assessor holds no record with that id."""

    reason = "not found in Smart Assessor"


class MappingError(PermanentError):
    """A rule cannot turn the event into SA calls."""

    reason = "cannot be mapped"

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


class UndecodableEvent(PermanentError):
    """The message's bytes are not an event of ours."""

    reason = "undecodable"


class FatalError(SyncError):
    """Stop: carrying on could lose or corrupt data."""


class ConfigurationError(FatalError):
    """A configuration value is missing or invalid."""


class GaveUp(FatalError):
    """A transient failure outlasted the tries or the time a policy allows: stop, leave the item as it was."""
