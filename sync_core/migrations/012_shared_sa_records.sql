-- U2/U3 v2: several PICS organisations (two records of one company, found by EDRS Number and Postcode)
-- may link to one SA employer, and several PICS officers (found by Email) to one SA assessor. What may
-- never happen is one PICS record with two SA records: the primary key (entity, pics_id) says that.
-- A learner (U10) and a course enrolment (U5) stay one to one, so an SA learner or enrolment is still
-- linked from one PICS record only.
DROP INDEX sync.links_sa_id;
CREATE UNIQUE INDEX links_one_pics_record_per_sa_learner ON sync.links (entity, sa_id)
    WHERE entity IN ('learner', 'enrolment');
-- The employers' and assessors' reverse look-up (which PICS records share this SA record) stays fast.
CREATE INDEX links_by_sa_id ON sync.links (entity, sa_id) WHERE entity IN ('employer', 'assessor');
