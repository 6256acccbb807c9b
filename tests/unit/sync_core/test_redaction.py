"""The redaction: an allow-list of loggable keys, value patterns on every string, and SA's strings bounded."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sync_core.redaction import REDACTED, bounded, mask_url, redact, scrub_text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        # the synonyms an exact-key deny-list let through
        pytest.param("login", "ada.lovelace", id="login"),
        pytest.param("birth_date", "2001-02-03", id="birth-date"),
        pytest.param("forename", "Ada", id="forename"),
        pytest.param("email_address", "ada@example.org", id="email-address"),
        pytest.param("telephone", "0113 496 0000", id="telephone"),
        pytest.param("nino", "AB123456C", id="nino"),
        # the names the deny-list knew
        pytest.param("firstName", "Ada", id="first-name-camel"),
        pytest.param("surname", "Lovelace", id="surname"),
        pytest.param("date_of_birth", "2001-02-03", id="dob"),
        pytest.param("mobileNumber", "07700900000", id="mobile"),
        pytest.param("address_1", "1 High St", id="address"),
        pytest.param("postcode", "LS1 1AA", id="postcode"),
        pytest.param("ethnicity", 31, id="ethnicity-as-a-number"),
        pytest.param("disability", "Y", id="disability"),
        pytest.param("password", "hunter2", id="password"),
        pytest.param("database_url", "postgresql://u:pw@db/x", id="database-url"),
        # whole records and anything else nobody listed
        pytest.param("learner", {"event_id": "e-1", "surname": "Lovelace"}, id="record"),
        pytest.param("row", ["Ada", "Lovelace"], id="row"),
    ],
)
def test_keys_off_the_allow_list_are_redacted_whatever_their_value(key: str, value: object) -> None:
    """A key not on the allow-list loses its value, at the top level and nested under a loggable key."""
    out = redact({"event": "x", key: value, "reason": [{key: value}]})
    assert out[key] == REDACTED and out["reason"] == [{key: REDACTED}]


@pytest.mark.parametrize(
    ("text", "gone", "marker"),
    [
        pytest.param("SA refused ada.lovelace+sa@example.co.uk", "ada.lovelace", "[email]", id="email"),
        pytest.param("NI number AB123456C taken", "AB123456C", "[ni-number]", id="ni-number"),
        pytest.param("NI number ab 12 34 56 c taken", "12 34 56", "[ni-number]", id="ni-number-spaced-lower"),
        pytest.param("call 07700 900123 now", "900123", "[phone]", id="uk-mobile"),
        pytest.param("call 0113 496 0000 now", "496 0000", "[phone]", id="uk-landline"),
        pytest.param("call +44 7700 900123", "900123", "[phone]", id="uk-international"),
        pytest.param("call +44 (0)113 496-0000", "496-0000", "[phone]", id="uk-international-zero"),
        pytest.param("call (0113) 496 0123", "496 0123", "[phone]", id="uk-area-code-in-brackets"),
        pytest.param("call (020)74960123", "74960123", "[phone]", id="uk-london-unspaced"),
        pytest.param("call +44(0)289018929", "289018929", "[phone]", id="uk-international-zero-unspaced"),
        pytest.param("call +441134960123", "1134960123", "[phone]", id="uk-international-unspaced"),
        pytest.param("lives at SW1A 1AA", "SW1A", "[postcode]", id="postcode"),
        pytest.param("lives at ls11aa", "ls11aa", "[postcode]", id="postcode-lower-unspaced"),
        pytest.param("born 2001-02-03", "2001-02-03", "[date]", id="date-iso"),
        pytest.param("born 2001-02-03T00:00:00", "2001-02-03", "[date]", id="date-iso-time"),
        pytest.param("born 03/02/2001", "03/02/2001", "[date]", id="date-uk"),
        pytest.param("born 3.2.01", "3.2.01", "[date]", id="date-dotted"),
        pytest.param("born 3rd February 2001", "February 2001", "[date]", id="date-words"),
        pytest.param("postgresql://pics:s3cret@db.example.org/pics", "s3cret", "pics:***@", id="url-password"),
        pytest.param("host=db user=pics password=s3cret dbname=x", "s3cret", "password=***", id="conninfo-password"),
        pytest.param("host=db password='s3 cret' dbname=x", "s3 cret", "password=***", id="conninfo-quoted"),
    ],
)
def test_value_patterns_are_replaced_in_every_string(text: str, gone: str, marker: str) -> None:
    """Each pattern is replaced wherever a string sits: the event, a message, an exception, a list, a nested record."""
    record = {"event": text, "reason": text, "exception": f"Traceback …\nMappingError: {text}\n",
              "topics": [text], "problem": {"item": text}}  # fmt: skip
    out = redact(record)
    for value in (out["event"], out["reason"], out["exception"], out["topics"][0], out["problem"]["item"]):
        assert gone not in value and marker in value


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("3f1c2a9e-0b4d-4e6f-8a1b-0123456789ab", id="event-id"),
        pytest.param("01234567-8901-2345-6789-012345678901", id="event-id-all-digits"),
        pytest.param("01234567-89ab-4def-8123-0123456789ab", id="event-id-phone-like-head"),
        pytest.param("L000123", id="learner-ident"),
        pytest.param("t3f9c2ab1e.pics.learner[2]@1234", id="topic-partition-offset"),
        pytest.param(
            "rejected by Smart Assessor: Smart Assessor answered 422 to PATCH /learners/{id} (id g-1001)"
            " invalid_value (field uln)",
            id="sa-reason",
        ),
        pytest.param("127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed", id="kafka-reason"),
        pytest.param("unknown completion status 9 (A1)", id="rule-reason"),
        pytest.param("retry in 0.25 s, attempt 3 of 10", id="numbers"),
    ],
)
def test_ids_and_operator_text_stay(text: str) -> None:
    """Ids, positions, reasons and broker messages an operator needs pass the patterns unchanged."""
    assert scrub_text(text) == text


def test_loggable_keys_keep_their_values_and_numbers_pass() -> None:
    """Ids, outcomes and counts on the allow-list are kept, in any spelling of the key."""
    record = {"event": "event.processed", "event_id": "e-1", "eventId": "e-1", "key": "L1", "outcome": "applied",
              "sa_calls": 1, "fatal": False, "rule": None, "dropped_reasons": {"assessor email: not an email": 2}}  # fmt: skip
    assert redact(record) == record


@pytest.mark.parametrize(
    ("key", "value", "kept"),
    [
        pytest.param("timestamp", "2026-11-23T09:00:00.123456Z", True, id="timestamp"),
        pytest.param("run_date", "2026-11-23", True, id="run-date"),
        pytest.param("run_date", date(2026, 11, 23), True, id="run-date-object"),
        pytest.param("at", "2026-11-24T02:00:00+00:00", True, id="scheduled-at"),
        pytest.param("at", "due for ada@example.org", False, id="not-a-time"),
        pytest.param("reason", "2026-11-23", False, id="date-elsewhere"),
        pytest.param("reason", datetime(2001, 2, 3), False, id="date-object-elsewhere"),
    ],
)
def test_only_times_we_made_keep_a_date(key: str, value: object, kept: bool) -> None:
    """A time key keeps a bare ISO date or time; any other value, and any date under another key, is scrubbed."""
    assert (redact({key: value})[key] == value) is kept


def test_mask_url_masks_only_the_password() -> None:
    """A URL shown to an operator keeps scheme, user, host and database."""
    assert mask_url("postgresql://pics:pa%40ss@db:5432/pics") == "postgresql://pics:***@db:5432/pics"
    assert mask_url("postgresql://pics@db/pics") == "postgresql://pics@db/pics"


def test_bounded_scrubs_flattens_and_cuts() -> None:
    """SA's code or field: personal values scrubbed, control characters gone, at most the limit with an ellipsis."""
    assert bounded("dateOfBirth=2001-02-03", 64) == "dateOfBirth=[date]"
    assert bounded("bad\r\nX-Injected: 1", 64) == "bad X-Injected: 1"
    cut = bounded("x" * 10_000, 64)
    assert cut is not None and len(cut) == 64 and cut.endswith("…")
    assert bounded(None, 64) is None
