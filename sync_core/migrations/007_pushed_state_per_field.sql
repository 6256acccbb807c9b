-- X1 v2: what SA holds from us is kept per field (`learner:<id>#email`), no longer per set of field
-- names (`learner:<id>#email,surname`), which let a toggle switched off and on again drop a needed
-- write. A one-field key means the same in both versions and is kept; a key naming several fields is
-- never read again, so it goes. The first push of each such record after the upgrade sends its fields
-- once more (X1 cannot vouch for them), which is always correct.
DELETE FROM sync.pushed_state WHERE sa_resource LIKE '%#%,%';
