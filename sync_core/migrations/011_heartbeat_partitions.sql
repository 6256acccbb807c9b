-- Each consumer's heartbeat names its partitions: per assigned partition the offset it commits at, its
-- unfinished events, and how long that commit point has not moved while events were pending
-- (consumers/commit_progress.py). `pics-sync status` and the console name a wedged partition from it,
-- which Kafka's committed offsets alone cannot show (they only say where, not since when).
-- [{"topic": "pics.learner", "partition": 3, "commit_at": 120, "pending": 4, "oldest_s": 95.0,
--   "stuck_s": 95.0}, ...]; no key, no value, no id of a learner.
ALTER TABLE sync.consumer_heartbeats ADD COLUMN partitions jsonb NOT NULL DEFAULT '[]'::jsonb;
