"""Each event's fate by DOMAIN v2: applied, skipped, or "may skip" when the settings leave nothing to do.

S1 first (integration disabled: skipped), then for a learner's event Y2 (not Live: skipped) and X2 (not
in SA yet: skipped, never parked), then the rule's own settings: L5, E1 (S13), Q1 (S15) / Q2 (S16), G1
(S12), O1 (S10), U5 (a qualification SA does not support); the daily run's requests (D1) like R1, G1
and O1. "May skip" admits both outcomes: applied then means "as SA already holds it" (X1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sandbox.demo import oracle_tables as t
from sandbox.demo.journal import Sent

APPLY, SKIP, MAY_SKIP = "apply", "skip", "may skip"


@dataclass(frozen=True)
class Fate:
    """What DOMAIN says becomes of an event, and why (a rule id first)."""

    expect: str
    why: str


class Known(Protocol):
    """What a fate depends on: the settings, and what SA holds so far (``model.SaModel``)."""

    @property
    def settings(self) -> t.Settings: ...

    @property
    def learners(self) -> Mapping[str, Any]: ...

    @property
    def employers(self) -> Mapping[str, Any]: ...

    @property
    def assessors(self) -> Mapping[str, Any]: ...

    def supported(self, qualification: Mapping[str, Any]) -> bool: ...

    def enrolled(self, payload: Mapping[str, Any]) -> bool: ...


def fate_of(m: Known, sent: Sent) -> Fate:
    """S1, then (learner events) Y2 and X2, then what the settings leave to do."""
    if not sent.integration_on:
        return Fate(SKIP, "S1 integration disabled")
    if "learner" in sent.payload:
        learner = sent.payload["learner"]
        if learner.get("system_status") != t.LIVE:
            return Fate(SKIP, "Y2 not live")
        if sent.name != "LearnerEnrolled" and learner["learner_ident"] not in m.learners:
            return Fate(SKIP, "X2 not in Smart Assessor")
    return _FATES[sent.name](m, sent.payload)


def _fate_edited(m: Known, _p: Mapping[str, Any]) -> Fate:
    pushed = [sa for _, sa, when in t.LEARNER_PUSH if when(m.settings)]
    return Fate(APPLY, "L1-L4") if pushed else Fate(MAY_SKIP, "L5 nothing pushed under the settings")


def _fate_qualification(m: Known, p: Mapping[str, Any]) -> Fate:
    s = m.settings
    if not m.supported(p["qualification"]):
        return Fate(MAY_SKIP, "U5 qualification not supported")
    if not m.enrolled(p):
        return Fate(APPLY, "U5 enrolled by its QualificationChanged")
    if not s.on("Push Changes to Qualification Assessors") and s.mode(t.S16) != t.PUSH:
        return Fate(MAY_SKIP, "Q1/Q2 S15 off and S16 pulls")
    return Fate(APPLY, "Q1/Q2")


def _fate_closed(m: Known, p: Mapping[str, Any]) -> Fate:
    return Fate(APPLY, "A1") if m.enrolled(p) else Fate(MAY_SKIP, "U5 no SA course")


def _switch(setting: str, rule: str) -> Callable[[Known, Mapping[str, Any]], Fate]:
    return lambda m, _p: Fate(APPLY, rule) if m.settings.on(setting) else Fate(MAY_SKIP, f"{rule} off")


def _record_mode(mode: str, kind: str, rule: str) -> Callable[[Known, Mapping[str, Any]], Fate]:
    def fate(m: Known, p: Mapping[str, Any]) -> Fate:
        held = m.employers if kind == "organisation" else m.assessors
        if m.settings.mode(mode) != t.PUSH or p[kind][f"{kind}_id"] not in held:
            return Fate(MAY_SKIP, f"{rule} not pushed, or not in SA")
        return Fate(APPLY, rule)

    return fate


_FATES: Mapping[str, Callable[[Known, Mapping[str, Any]], Fate]] = {
    "LearnerEnrolled": lambda _m, _p: Fate(APPLY, "U1"),
    "LearnerEdited": _fate_edited,
    "EmployerChanged": _switch("Push Changes to Learner Employer", "E1"),
    "QualificationChanged": _fate_qualification,
    "IlrAimClosed": _fate_closed,
    "BreakInLearning": lambda _m, _p: Fate(APPLY, "B1/B2"),
    "RefreshRequested": lambda _m, _p: Fate(APPLY, "R1"),
    "LearnerOfficersChanged": _switch("Push Changes to Qualification Assessors", "Q1"),
    "OrganisationEdited": _record_mode(t.S12, "organisation", "G1"),
    "OfficerEdited": _record_mode(t.S10, "officer", "O1"),
    "ReconcileRequested": lambda _m, _p: Fate(APPLY, "D1 (R1 of the daily run)"),
    "OrganisationReconcileRequested": _record_mode(t.S12, "organisation", "D1 (G1 of the daily run)"),
    "OfficerReconcileRequested": _record_mode(t.S10, "officer", "D1 (O1 of the daily run)"),
}
