"""The integration settings S1–S17 of DOMAIN.md §1: names, values, defaults and validation.

Each setting is defined once here, under PICS's own name. ``IntegrationSettings`` is the frozen
object rules read; the state repository stores the values as text by name.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from sync_core.errors import ConfigurationError


class Mode(StrEnum):
    """Which system wins for a group of fields (S6, S10, S12, S16)."""

    NONE = "None"
    PUSH = "Push PICS Data to Smart Assessor"
    PULL = "Update PICS from Smart Assessor Data"


# DOMAIN.md §7: the session types SA knows; S17 maps some of them to PICS Review Types.
SESSION_TYPES = (
    "General", "Induction", "Formal Review", "Telephone", "Exit Session", "Out of the Workplace",
    "Tests/Exams", "Learner Support", "Initial", "Gateway Ready", "EPA",
)  # fmt: skip
# The demo's learner-officer roles (a Decision of DOMAIN.md §1); a provider's PICS may name others,
# and S14 takes any role PICS holds (v2) but the Main Officer, who is already the first assessor.
ROLES = ("Main Officer", "Second Officer", "Assessor", "Tutor", "IQA", "Mentor")
MAIN_OFFICER = ROLES[0]
ROLE_MAX_LENGTH = 100  # a role typed before PICS holds any: longer is no role name
_MODE_ALIASES = {"none": Mode.NONE, "push": Mode.PUSH, "pull": Mode.PULL}
_ON = {"on": True, "true": True, "yes": True, "1": True}
_OFF = {"off": False, "false": False, "no": False, "0": False}


@dataclass(frozen=True)
class Definition:
    """One setting: its id, PICS name, attribute, kind and default."""

    id: str
    name: str
    attr: str
    kind: str  # "switch", "mode", "push_pull", "role", "secret"
    default: str
    # X1 v2: the SA record kinds whose "what SA holds from us" a change of this setting makes stale.
    # While a field is not pushed (its toggle off, its mode None or pulling) PICS and SA may move
    # apart without us; when the setting changes, the next push of those records sends every field.
    pushes: tuple[str, ...] = ()


DEFINITIONS: tuple[Definition, ...] = (
    Definition("S1", "Integration Enabled", "integration_enabled", "switch", "off"),
    Definition("S3", "Send Learner Welcome Email", "send_welcome_email", "switch", "off"),
    Definition("S4", "Set Student ID to LRN", "student_id_from_lrn", "switch", "off", ("learner",)),
    Definition("S5", "Update PICS Risk using Smart Coach Score", "risk_from_smart_coach", "switch", "off"),
    Definition("S6", "Update Learner Demographics Mode", "learner_mode", "mode", Mode.NONE, ("learner",)),
    Definition("S7", "Update Learner Gender", "sync_gender", "switch", "off", ("learner",)),
    Definition("S8", "Update Learner Ethnicity", "sync_ethnicity", "switch", "off", ("learner",)),
    Definition("S9", "Send Learner Disability", "send_disability", "switch", "off", ("learner",)),
    Definition("S10", "Update Officer Demographics Mode", "officer_mode", "mode", Mode.NONE, ("assessor",)),
    Definition("S11", "Create Users for Officers in ASSO", "create_asso_users", "switch", "off"),
    Definition("S12", "Update Organisation Demographics Mode", "organisation_mode", "mode", Mode.NONE, ("employer",)),
    Definition("S13", "Push Changes to Learner Employer", "push_employer_changes", "switch", "off", ("learner",)),
    Definition("S14", "Qualification Second Assessor Role", "second_assessor_role", "role", "none", ("enrolment",)),
    Definition("S15", "Push Changes to Qualification Assessors", "push_assessor_changes", "switch", "off",
               ("learner", "enrolment")),
    Definition("S16", "Update Qualification Dates Mode", "qualification_dates_mode", "push_pull", Mode.PUSH,
               ("enrolment",)),
)  # fmt: skip
BY_NAME: Mapping[str, Definition] = MappingProxyType({d.name.lower(): d for d in DEFINITIONS})
BY_ID: Mapping[str, Definition] = MappingProxyType({d.id.lower(): d for d in DEFINITIONS})


@dataclass(frozen=True)
class IntegrationSettings:
    """The settings in force, as the rules read them. Defaults are DOMAIN.md's."""

    integration_enabled: bool = False
    send_welcome_email: bool = False
    student_id_from_lrn: bool = False
    risk_from_smart_coach: bool = False
    learner_mode: Mode = Mode.NONE
    sync_gender: bool = False
    sync_ethnicity: bool = False
    send_disability: bool = False
    officer_mode: Mode = Mode.NONE
    create_asso_users: bool = False
    organisation_mode: Mode = Mode.NONE
    push_employer_changes: bool = False
    second_assessor_role: str | None = None
    push_assessor_changes: bool = False
    qualification_dates_mode: Mode = Mode.PUSH
    review_types: Mapping[str, str] = field(default_factory=dict)  # S17: SA session type → PICS


def find(name_or_id: str) -> Definition:
    """The definition named by PICS name or id (case-insensitive), or a clear error."""
    key = name_or_id.strip().lower()
    found = BY_NAME.get(key) or BY_ID.get(key)
    if found is None:
        known = ", ".join(f'"{d.name}"' for d in DEFINITIONS)
        raise ConfigurationError(f'unknown setting "{name_or_id}"; the settings are: {known}')
    return found


def normalise(definition: Definition, value: str, roles: Collection[str] | None = None) -> str:
    """The stored text of ``value`` for this setting, or a ConfigurationError saying what fits.

    ``roles`` are the learner-officer roles PICS holds (S14 v2); None accepts any role but the Main
    Officer (settings already stored, or a PICS that holds no officer yet).
    """
    text = value.strip()
    if definition.kind == "switch" and text.lower() in _ON | _OFF:
        return "on" if _ON.get(text.lower()) else "off"
    if definition.kind in ("mode", "push_pull"):
        mode = _MODE_ALIASES.get(text.lower()) or next((m for m in Mode if m.lower() == text.lower()), None)
        if mode is not None and (definition.kind == "mode" or mode is not Mode.NONE):
            return mode.value
    if definition.kind == "role":
        return _role(definition, text, roles)
    raise ConfigurationError(f'"{definition.name}" cannot be "{value}"; it takes {allowed(definition)}')


def _role(definition: Definition, text: str, roles: Collection[str] | None) -> str:
    """S14 v2: none, or one of PICS's own role names (as PICS spells it), never the Main Officer."""
    if text.lower() == "none":
        return "none"
    if text.lower() == MAIN_OFFICER.lower():
        raise ConfigurationError(
            f'"{definition.name}" cannot be "{MAIN_OFFICER}": the Main Officer is already the first assessor'
        )
    found = next((r for r in _second_roles(roles) if r.lower() == text.lower()), None)
    if found is not None:
        return found
    if not roles and text and len(text) <= ROLE_MAX_LENGTH:  # nothing to check against: take it as typed
        return text
    raise ConfigurationError(f'"{definition.name}" cannot be "{text}"; it takes {allowed(definition, roles)}')


def _second_roles(roles: Collection[str] | None) -> list[str]:
    """The roles S14 may name: PICS's own (the demo's when none are known), the Main Officer aside."""
    return [r for r in (roles or ROLES) if r.lower() != MAIN_OFFICER.lower()]


def session_type(name: str) -> str:
    """The SA session type spelled as SA does, or a clear error listing the types."""
    found = next((t for t in SESSION_TYPES if t.lower() == name.strip().lower()), None)
    if found is None:
        raise ConfigurationError(f'unknown SA session type "{name}"; the types are: {", ".join(SESSION_TYPES)}')
    return found


def allowed(definition: Definition, roles: Collection[str] | None = None) -> str:
    """The values a setting takes, as an operator would type them (S14: the roles PICS holds)."""
    named = _second_roles(roles)
    return {
        "switch": "on or off",
        "mode": f'"{Mode.NONE}", "{Mode.PUSH}" (push) or "{Mode.PULL}" (pull)',
        "push_pull": f'"{Mode.PUSH}" (push) or "{Mode.PULL}" (pull)',
        "role": "none or a learner-officer role PICS holds other than Main Officer: " + ", ".join(sorted(named)),
    }[definition.kind]


def build(stored: Mapping[str, str], review_types: Mapping[str, str] | None = None) -> IntegrationSettings:
    """Settings from stored text by PICS name; a name not stored takes its default."""
    values: dict[str, object] = {}
    for definition in DEFINITIONS:
        text = normalise(definition, stored.get(definition.name, str(definition.default)))
        values[definition.attr] = _typed(definition, text)
    return IntegrationSettings(**values, review_types=MappingProxyType(dict(review_types or {})))  # type: ignore[arg-type]


def stale_kinds(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """X1 v2: the SA record kinds whose pushed state is stale once the stored settings go from ``before``
    to ``after`` (a setting's absence is its default)."""
    kinds: set[str] = set()
    for definition in DEFINITIONS:
        default = str(definition.default)
        if before.get(definition.name, default) != after.get(definition.name, before.get(definition.name, default)):
            kinds.update(definition.pushes)
    return kinds


def _typed(definition: Definition, text: str) -> object:
    if definition.kind == "switch":
        return text == "on"
    if definition.kind == "role":
        return None if text == "none" else text
    return Mode(text)
