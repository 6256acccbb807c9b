"""Every event accounted for against its fate: skips the rules call for are expected, any other is a failure."""

from __future__ import annotations

from sandbox.demo.accounting import account
from sandbox.demo.journal import Journal, Sent
from tests.unit.sandbox.demo.builders import NONE_ALL, PUSH_ALL, enrolled, fold, learner, sent


def journal_of(*events_and_outcomes: tuple[Sent, str, str | None]) -> Journal:
    journal = Journal()
    for event, kind, rule in events_and_outcomes:
        journal.record(event, 1)
        journal.outcome(event.event_id, kind, rule, None)
    return journal


def test_expected_skips_balance_and_an_unexpected_one_is_a_failure() -> None:
    """X2 and L5 skips are expected; an enrolment skipped (a v1 "not eligible") is not, and is named."""
    before = sent("LearnerEdited", {"learner": learner()})
    upload, edit = enrolled(learner()), sent("LearnerEdited", {"learner": learner(first_name="Bea")})
    fates = fold(NONE_ALL, before, upload, edit).fates
    right = account(journal_of((before, "skipped", "X2"), (upload, "applied", None), (edit, "skipped", "L5")), fates)
    assert right.balanced() and right.skips == {
        "X2 not in Smart Assessor": 1,
        "L5 nothing pushed under the settings": 1,
    }
    wrong = account(journal_of((before, "skipped", "X2"), (upload, "skipped", "Y2"), (edit, "skipped", "L5")), fates)
    assert not wrong.balanced() and wrong.skipped_unexpected == 1
    assert wrong.examples[0].startswith(f"event {upload.event_id} LearnerEnrolled L1: skipped (Y2: ), expected U1")


def test_an_event_the_rules_skip_must_not_be_applied_nor_parked() -> None:
    """S1 / X2: an edit before the upload applied, or parked (v1's "not enrolled"), is a failure."""
    before = sent("LearnerEdited", {"learner": learner()})
    fates = fold(PUSH_ALL, before).fates
    applied = account(journal_of((before, "applied", None)), fates)
    parked = account(journal_of((before, "parked", "X2")), fates)
    assert (applied.applied_unexpected, applied.balanced()) == (1, False)
    assert (parked.parked, parked.balanced()) == (1, False)


def test_duplicates_count_toward_the_balance() -> None:
    """A second delivery recorded as a duplicate is accounted for."""
    upload = enrolled(learner())
    journal = Journal()
    journal.record(upload, 2)
    journal.outcome(upload.event_id, "applied", None, None)
    journal.outcome(upload.event_id, "duplicate", None, None)
    assert account(journal, fold(PUSH_ALL, upload).fates).balanced()
