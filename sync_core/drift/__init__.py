"""The synchronisation of differences (DOMAIN.md §5b): what counts as a difference, as pure functions.

``compare`` decides, field by field, what SA's current record does not hold of what the rules would
push, and names each difference (``Difference``) without its values. The executor's compare mode
(``sync_core.execute.compare_mode``) reads SA and acts on it. Knows no Kafka, no SQL, no HTTP;
imports nothing from ``consumers`` or ``sandbox``.
"""
