-- The daily pull, v2 of DOMAIN.md.
-- P2: a group session has one SA id for several learners, and each learner gets its own review, so a
-- review is unique per (learner, Smart Assessor System ID), no longer per SA id alone. Rows made
-- before keep their Review Ident.
ALTER TABLE pics.review DROP CONSTRAINT IF EXISTS review_smart_assessor_system_id_key;
ALTER TABLE pics.review
    ADD CONSTRAINT review_learner_sa_system_id_key UNIQUE (learner_ident, smart_assessor_system_id);

-- P14: the SA items a run could not read or map, dropped one by one: how many, and how many per
-- reason ("<item> <SA field>: <problem>", never a value).
ALTER TABLE sync.pull_runs
    ADD COLUMN items_dropped integer NOT NULL DEFAULT 0,
    ADD COLUMN dropped_reasons jsonb NOT NULL DEFAULT '{}'::jsonb;
