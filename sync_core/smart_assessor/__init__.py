"""The Smart Assessor adapter: the only code that knows SA's URLs and status codes.

| module | holds |
| --- | --- |
| ``client`` | ``SaClient``: every SA call, capped, paced and pooled |
| ``auth`` | the token flow, as an httpx auth generator |
| ``endpoints`` | the SA endpoints, one table |
| ``errors`` | SA's answers translated once into ``sync_core.errors`` |
| ``in_doubt`` | writes that timed out and may still land |
| ``rate_limit``, ``circuit``, ``pools`` | the token bucket, the circuit breaker, per-thread connection pools |
"""
