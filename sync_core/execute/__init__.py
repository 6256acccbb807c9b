"""Plans carried out: SA calls (``executor``, ``ensure`` for link-or-create, ``compare_mode`` for a run
against SA's current records) and PICS rows (``pics``).

The ports they talk through are ``typing.Protocol``s in ``protocols``. Knows no Kafka; used by the
pipeline and by the daily run. Imports nothing from ``consumers`` or ``sandbox``.
"""
