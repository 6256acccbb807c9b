"""The daily pull's officers and organisations, compared with SA: P5, P10, P11 and P13 of DOMAIN v2.

P10 / P11 (S10 / S12 = Update PICS…): the officers in the roles of eligible learners, and their
placements, that are linked to SA take SA's values, but where SA is blank (P13); every other officer
and organisation keeps its values (and all of them do under None or Push). An officer that is only a
qualification's own assessor of an eligible learner is not judged (DOMAIN leaves open whether the pull
covers it). P5 (v2): each SA assessor of a pulled session is one PICS officer, linked by Additional ID
or by Email before one is created; one created gets U3's fields from SA, and one ASSO user with S11. Each
field P10 / P11 changes is a difference the drift report must show as pulled (D1, D3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.demo import oracle_tables as t
from sandbox.demo.pull_check import Pull, PullCheck, pulled, same


def check_records(check: PullCheck, pull: Pull) -> None:
    """P5, P10, P11 for the run's officers and organisations."""
    eligible = [i for i, row in pull.before.learners.items() if t.eligible(row, pull.run_date)]
    roles = {o for i in eligible for o in pull.before.roles.get(i, {}).values()}
    own = {q["assessor_id"] for q in pull.before.qualifications.values() if q["learner_ident"] in eligible}
    placements = {pull.before.learners[i]["placement_organisation_id"] for i in eligible}
    for officer_id, before in sorted(pull.before.officers.items()):
        covered = officer_id in roles and before["additional_id"]
        if covered or officer_id not in own:
            _record(check, pull, "officer", before, t.S10, t.OFFICER_FIELDS, pull.sa.get_assessor, bool(covered))
    for org_id, before in sorted(pull.before.organisations.items()):
        covered = org_id in placements and before["additional_id"]
        _record(check, pull, "organisation", before, t.S12, t.EMPLOYER_FIELDS, pull.sa.get_employer, bool(covered))
    _created_officers(check, pull)
    _one_officer_each(check, pull)


def _record(
    check: PullCheck,
    pull: Pull,
    kind: str,
    before: Mapping[str, Any],
    mode: str,
    fields: Mapping[str, str],
    get: Callable[[int], Mapping[str, Any]],
    covered: bool,
) -> None:
    """P10 / P11 and P13 for one record; unchanged when the pull does not cover it."""
    rows = pull.after.officers if kind == "officer" else pull.after.organisations
    after, pulling = rows[before["id"]], covered and pull.settings.mode(mode) == t.PULL
    held = get(int(before["additional_id"])) if pulling else {}
    rule = "P10" if kind == "officer" else "P11"
    for pics, sa_name in fields.items():
        expected = pulled(held.get(sa_name), before[pics]) if pulling else before[pics]
        check.expect(
            f"{kind} {before['id']}",
            f"{pics} ({rule})" if pulling else f"{pics} (not pulled)",
            same(after[pics], expected),
        )
        check.pulling("assessor" if kind == "officer" else "employer", before["id"], sa_name, expected, before[pics])


def _created_officers(check: PullCheck, pull: Pull) -> None:
    """P5: an officer the pull created is one an SA session needed and PICS had no officer for by Email;
    it holds the SA assessor's U3 fields and, with S11 on, one ASSO user."""
    emails = {str(o["email"]).lower() for o in pull.before.officers.values() if o["email"]}
    asso = pull.settings.on("Create Users for Officers in ASSO")
    for officer_id in sorted(set(pull.after.officers) - set(pull.before.officers)):
        officer, what = pull.after.officers[officer_id], f"officer {officer_id} (created by the pull)"
        sa_id = officer["additional_id"]
        check.expect(
            what, "additional_id (an SA assessor of a pulled session, P5)", str(sa_id) in check.session_assessors
        )
        check.expect(
            what, "email (a PICS officer has it: link, not create, P5 v2)", str(officer["email"]).lower() not in emails
        )
        held = pull.sa.get_assessor(int(sa_id)) if sa_id else {}
        for pics, sa_name in t.OFFICER_FIELDS.items():  # an SA blank is a blank in PICS, "" or null
            value = held.get(sa_name)
            check.expect(what, f"{pics} (P5)", t.blank(officer[pics]) if t.blank(value) else same(officer[pics], value))
        check.expect(what, "ASSO user (S11)", pull.after.asso_users.get(officer_id, 0) == (1 if asso else 0))
    for officer_id in pull.before.officers:  # an ASSO user only for an officer the pull created
        same_users = pull.after.asso_users.get(officer_id, 0) == pull.before.asso_users.get(officer_id, 0)
        check.expect(f"officer {officer_id}", "ASSO users (S11: only for an officer created)", same_users)


def _one_officer_each(check: PullCheck, pull: Pull) -> None:
    """P5: every SA assessor of a pulled session is exactly one PICS officer; no Email twice among officers."""
    for sa_id in sorted(check.session_assessors):
        officers = pull.linked.get(sa_id, [])
        check.expect(
            f"SA assessor {sa_id}", f"{len(officers)} PICS officers linked, one expected (P5)", len(officers) == 1
        )
    new = set(pull.after.officers) - set(pull.before.officers)
    emails = Counter(str(pull.after.officers[o]["email"]).lower() for o in new if pull.after.officers[o]["email"])
    for email, count in emails.items():
        check.expect("officers created by the pull", "one Email, several officers (P5)", count == 1 or not email)
