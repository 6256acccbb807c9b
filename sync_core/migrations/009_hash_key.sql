-- X1 keyed: what SA holds from us is remembered as an HMAC of each field's value under a key of the
-- deployment (PICS_SYNC_HASH_KEY, or the one kept here), no longer as a plain SHA-256 that gives a
-- value away to whoever guesses it (a lone `disability` has a handful of values). This table holds the
-- key generated on the first start when PICS_SYNC_HASH_KEY is unset: one row, never replaced.
CREATE TABLE sync.hash_key (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    key         bytea NOT NULL CHECK (length(key) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- The unkeyed hashes can neither be rehashed (the values are not kept) nor matched again: they go, so
-- the next push of each field sends it once more (X1 cannot vouch for it), which is always correct.
DELETE FROM sync.pushed_state;
