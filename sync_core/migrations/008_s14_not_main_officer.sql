-- S14 v2: the Main Officer is refused as "Qualification Second Assessor Role" (the second assessor
-- would be the first). v1 accepted it; such a stored value now means no second assessor, as it did
-- in effect (the same officer twice), and the settings load instead of refusing to start.
UPDATE sync.settings SET value = 'none', changed_at = now()
WHERE name = 'Qualification Second Assessor Role' AND lower(value) = 'main officer';
