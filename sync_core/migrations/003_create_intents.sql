-- An SA create in flight: written before the create, removed once the link is stored. A row that
-- stays behind marks a create that may have happened without its link; the next attempt finds the
-- record in SA by MIS id or natural key and links it instead of creating a second one.
CREATE TABLE sync.create_intents (
    entity      text NOT NULL,
    pics_id     text NOT NULL,
    attempts    integer NOT NULL DEFAULT 1,
    started_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, pics_id)
);
