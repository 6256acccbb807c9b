-- A stand-in for the PICS database (DOMAIN.md §6): the tables the updaters write and the demo reads.
CREATE SCHEMA IF NOT EXISTS pics;

CREATE TABLE pics.organisation (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    phone_number    text,
    edrs_number     text,
    address_1       text,
    address_2       text,
    address_3       text,
    address_4       text,
    postcode        text,
    website         text,
    employer_size   text,
    additional_id   text
);

CREATE TABLE pics.officer (
    id              text PRIMARY KEY,
    first_name      text NOT NULL,
    surname         text NOT NULL,
    email           text,
    phone_number    text,
    mobile_number   text,
    additional_id   text
);

CREATE TABLE pics.learner (
    learner_ident       text PRIMARY KEY,
    first_name          text NOT NULL,
    surname             text NOT NULL,
    date_of_birth       date,
    uln                 text,
    lrn                 text,
    email               text,
    address_1           text,
    address_2           text,
    address_3           text,
    address_4           text,
    postcode            text,
    ni_number           text,
    phone_number        text,
    mobile_number       text,
    gender              text,
    ethnicity           text,
    disability          text,
    system_status       text NOT NULL DEFAULT 'Live',
    programme_status    text,
    start_date          date,
    end_date            date,
    smart_assessor_id   text,
    placement_organisation_id text REFERENCES pics.organisation (id),
    planned_otj_hours   numeric,
    actual_otj_hours    numeric,
    risk                text
);

CREATE TABLE pics.learner_officer (
    learner_ident  text NOT NULL REFERENCES pics.learner (learner_ident),
    role           text NOT NULL,
    officer_id     text NOT NULL REFERENCES pics.officer (id),
    PRIMARY KEY (learner_ident, role)
);

CREATE TABLE pics.learner_qualification (
    id                        text PRIMARY KEY,
    learner_ident             text NOT NULL REFERENCES pics.learner (learner_ident),
    qualification_reference   text NOT NULL,
    title                     text,
    start_date                date,
    planned_end_date          date,
    actual_end_date           date,
    assessor_id               text REFERENCES pics.officer (id),
    elements_done             integer,
    total_elements            integer,
    completion_status         integer,
    outcome                   integer
);

CREATE TABLE pics.review (
    review_ident               text PRIMARY KEY,
    learner_ident              text NOT NULL REFERENCES pics.learner (learner_ident),
    review_type                text,
    proposed_at                timestamptz,
    actual_at                  timestamptz,
    attended_status            text NOT NULL DEFAULT 'Unknown',
    reviewer_id                text REFERENCES pics.officer (id),
    smart_assessor_system_id   text UNIQUE
);

CREATE TABLE pics.asso_user (
    officer_id  text PRIMARY KEY REFERENCES pics.officer (id),
    login       text NOT NULL UNIQUE
);

CREATE TABLE pics.qualification_link (
    qualification_reference  text PRIMARY KEY,
    sa_course_id             text NOT NULL,
    title                    text
);
