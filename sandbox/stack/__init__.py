"""The local stack: a KRaft broker from Maven-fetched jars, an embedded PostgreSQL, and both with the SA sandbox."""
