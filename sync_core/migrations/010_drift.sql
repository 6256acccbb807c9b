-- D3: every difference the synchronisation of differences finds, and what was done about it. Names
-- only (the record, the SA resource, the field), never a value: the values are read again, from PICS
-- and SA, when an operator asks for one learner's (`pics-sync reconcile report --values IDENT`).
CREATE TABLE sync.drift (
    id           bigserial PRIMARY KEY,
    run_id       bigint,          -- the daily run's sync.pull_runs id; null: a refresh, on demand
    found_at     timestamptz NOT NULL DEFAULT now(),
    entity       text NOT NULL CHECK (entity IN ('learner', 'enrolment', 'employer', 'assessor')),
    pics_id      text,            -- the PICS record (Learner Ident, ...); null: an SA record PICS has not (D2)
    sa_resource  text,            -- e.g. learner:<SA id>; null: none in SA yet (a course to enrol, D2)
    field        text NOT NULL,
    direction    text NOT NULL CHECK (direction IN ('push', 'pull')),
    action       text NOT NULL CHECK (action IN ('pushed', 'pulled', 'enrolled', 'reported', 'failed',
                                                 'would push', 'would enrol')),  -- would: a dry run's (D4)
    event_id     text             -- the event whose processing found it, when there was one
);
CREATE INDEX drift_run ON sync.drift (run_id, id);
CREATE INDEX drift_pics_id ON sync.drift (pics_id, id);
-- A difference is recorded once per event however often its processing is retried or redelivered.
CREATE UNIQUE INDEX drift_once ON sync.drift (event_id, entity, pics_id, sa_resource, field, action) NULLS NOT DISTINCT;
