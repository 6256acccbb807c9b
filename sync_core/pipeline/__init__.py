"""One delivery from bytes to recorded outcome, knowing no Kafka.

| module | decides |
| --- | --- |
| ``admission`` | is this delivery new, a duplicate, behind a parked event of its key, or skipped (S1)? |
| ``routes`` | which rule plans an event record, and on which topic it arrives |
| ``process`` | decode, admit, plan, execute, record or park |
| ``policy`` | retry, park or stop, for every error in every loop (live, redrive, replay, pull) |
| ``retrying`` | the policy carried out through stamina |

The Kafka edge (``consumers/``) hands it a ``Delivery`` and stores the offset once it returns.
"""
