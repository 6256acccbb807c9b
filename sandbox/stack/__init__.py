"""The local stack: a KRaft broker (``kafka_broker``) from Maven-fetched jars (``kafka_jars``), an embedded
PostgreSQL (``postgres``), and both with the SA sandbox (``local``); the ``PICS_SYNC_*`` exports that reach a
running one, every credential it set included (``exports``)."""
