"""What an SA learner is created with (U1, U2, U3, U6, U7): at enrolment, and when SA no longer holds it (D7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_core.fields import DEMOGRAPHICS, to_sa, wire
from sync_core.plan import Ref
from sync_core.settings import IntegrationSettings


def upload_fields(
    learner: Mapping[str, Any], settings: IntegrationSettings, placement: Any, main: Any, *, welcome: bool = True
) -> dict[str, Any]:
    """U1, U2, U3, U6, U7: the SA learner created at enrolment; ``welcome=False``: made again (D7), no second
    welcome email."""
    fields = {"misId": learner["learner_ident"], **to_sa(learner, DEMOGRAPHICS)}
    fields["startDate"] = wire(learner.get("start_date"))
    fields["plannedOtjHours"] = learner.get("planned_otj_hours")  # U6
    if settings.student_id_from_lrn:  # U1 with S4
        fields["studentId"] = learner.get("lrn")
    if placement is not None:  # U2
        fields["employerId"] = Ref("employer", placement["organisation_id"])
    if main is not None:  # U3
        fields["assessorId"] = Ref("assessor", main["officer_id"])
    if welcome and settings.send_welcome_email:  # U7
        fields["sendWelcomeEmail"] = True
    return fields
