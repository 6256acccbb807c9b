-- Sync state: what pics-sync itself remembers. Everything the service needs to be idempotent.
CREATE SCHEMA IF NOT EXISTS sync;

-- Integration settings S1, S3–S16 by PICS name (S2, the credentials, live in the environment).
CREATE TABLE sync.settings (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);

-- S17: SA session type → PICS Review Type.
CREATE TABLE sync.review_type_map (
    sa_session_type   text PRIMARY KEY,
    pics_review_type  text NOT NULL
);

-- PICS id ↔ SA id, per entity (learner, employer, assessor, course enrolment).
CREATE TABLE sync.links (
    entity      text NOT NULL,
    pics_id     text NOT NULL,
    sa_id       text NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, pics_id)
);
CREATE UNIQUE INDEX links_sa_id ON sync.links (entity, sa_id);

-- The ledger: every event id seen, with what became of it.
CREATE TABLE sync.processed_events (
    event_id      uuid PRIMARY KEY,
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    key           text,
    event_type    text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('applied', 'skipped', 'parked')),
    reason        text,
    sa_calls      integer NOT NULL DEFAULT 0,
    processed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_key ON sync.processed_events (key, processed_at);

-- X1: a hash of the last content pushed to each SA resource, so an unchanged push makes no call.
CREATE TABLE sync.pushed_state (
    sa_resource  text PRIMARY KEY,
    hash         text NOT NULL,
    pushed_at    timestamptz NOT NULL DEFAULT now()
);

-- Events that cannot be applied, with everything needed to redrive them.
CREATE TABLE sync.parked_events (
    id           bigserial PRIMARY KEY,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    "offset"     bigint NOT NULL,
    key          text,
    event_id     uuid,
    event_type   text,
    value        bytea,
    headers      jsonb NOT NULL DEFAULT '[]',
    error_class  text NOT NULL,
    reason       text NOT NULL,
    attempts     integer NOT NULL DEFAULT 1,
    parked_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, partition, "offset")
);
CREATE INDEX parked_events_key ON sync.parked_events (key);
