"""The local stack: a KRaft broker (``kafka_broker``) from Maven-fetched jars (``kafka_jars``), an embedded
PostgreSQL (``postgres``), and both with the SA sandbox (``local``)."""
