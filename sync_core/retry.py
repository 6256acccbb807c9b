"""Which failures are retried and how long to wait: the hook stamina calls for each exception."""

from __future__ import annotations

from sync_core.errors import SaRateLimited, TransientError


def backoff_hook(failure: Exception) -> bool | float:
    """Retry transient errors; honour SA's Retry-After when it gave one."""
    if isinstance(failure, SaRateLimited) and failure.retry_after is not None:
        return failure.retry_after
    return isinstance(failure, TransientError)
