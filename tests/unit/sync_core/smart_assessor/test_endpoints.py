"""SA endpoint templates: URLs from ids, how errors name a call, one route per endpoint."""

from __future__ import annotations

import pytest

from sync_core.smart_assessor.endpoints import (
    ENDPOINTS,
    GET_ENROLMENT,
    GET_LEARNER,
    LIST_COURSES,
    UPDATE_ENROLMENT,
    Endpoint,
)


@pytest.mark.parametrize(
    ("route", "ids", "url"),
    [
        pytest.param(LIST_COURSES, (), "/courses", id="no-placeholder"),
        pytest.param(GET_LEARNER, ("guid-1",), "/learners/guid-1", id="learner-guid"),
        pytest.param(GET_ENROLMENT, ("guid-1", 9001), "/learners/guid-1/courses/9001", id="enrolment-two-ids"),
        pytest.param(GET_LEARNER, ("a/b c",), "/learners/a%2Fb%20c", id="id-percent-encoded"),
    ],
)  # fmt: skip
def test_url_fills_placeholders_in_order(route: Endpoint, ids: tuple[str | int, ...], url: str) -> None:
    """Each id goes into the next placeholder, percent-encoded so it cannot change the path."""
    assert route.url(*ids) == url


def test_url_refuses_the_wrong_number_of_ids() -> None:
    """A route given too few or too many ids is a programming error, raised at once."""
    with pytest.raises(ValueError, match="takes 2 id"):
        GET_ENROLMENT.url("guid-1")
    with pytest.raises(ValueError, match="takes 0 id"):
        LIST_COURSES.url("guid-1")


def test_where_names_each_id() -> None:
    """Error messages name the route and each id by its placeholder."""
    assert UPDATE_ENROLMENT.where("guid-1", 9001) == (
        "PATCH /learners/{id}/courses/{enrolmentId} (id guid-1, enrolmentId 9001)"
    )
    assert str(LIST_COURSES) == LIST_COURSES.where() == "GET /courses"


def test_routes_are_distinct() -> None:
    """ENDPOINTS lists every endpoint once."""
    assert len({(route.method, route.path) for route in ENDPOINTS}) == len(ENDPOINTS)
