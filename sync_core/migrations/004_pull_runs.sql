-- Daily pull runs and their checkpoints: a crashed run resumes after the last learner it finished.
CREATE TABLE sync.pull_runs (
    id                 bigserial PRIMARY KEY,
    run_date           date NOT NULL,
    scope              text NOT NULL DEFAULT 'daily',  -- 'daily' or 'learner:<ident>'
    status             text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    checkpoint         text,          -- the last Learner Ident (in ident order) whose events are on Kafka
    learners_eligible  integer NOT NULL DEFAULT 0,
    learners_read      integer NOT NULL DEFAULT 0,
    events             integer NOT NULL DEFAULT 0,
    sa_calls           integer NOT NULL DEFAULT 0,
    sessions_unmapped  integer NOT NULL DEFAULT 0
);
CREATE INDEX pull_runs_date ON sync.pull_runs (run_date, started_at);
