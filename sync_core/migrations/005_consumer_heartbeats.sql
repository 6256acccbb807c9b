-- One row a running consumer process (`pics-sync run`), rewritten every few seconds: what `pics-sync
-- status` knows of state that lives only inside that process (SA's circuit breaker, unfinished work).
-- A row whose updated_at stops moving is a consumer that died; a clean stop sets stopped_at. Rows a
-- week old are deleted by the next consumer that starts. (The partitions a consumer owns come from
-- Kafka's group coordinator instead: the consumer object cannot be asked from another thread.)
CREATE TABLE sync.consumer_heartbeats (
    member_id   text PRIMARY KEY,        -- host/pid/random: one consumer process
    group_id    text NOT NULL,           -- its Kafka consumer group
    side        text NOT NULL CHECK (side IN ('push', 'pull')),
    circuit     text NOT NULL,           -- closed, open or half_open (sync_core.circuit.State)
    pending     integer NOT NULL,        -- events polled and not yet finished
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    stopped_at  timestamptz
);
CREATE INDEX consumer_heartbeats_group ON sync.consumer_heartbeats (group_id, updated_at);
