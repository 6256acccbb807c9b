"""U5's qualification links in a running consumer: `qualifications refresh` in another process is heard at
once (a PostgreSQL notice), and PICS_SYNC_LINKS_TTL_S bounds the copy a consumer keeps otherwise."""

from __future__ import annotations

import pytest

from consumers.service import Service, open_service
from sync_core.config import RuntimeConfig
from sync_core.pics.qualification_links import QualificationLinks
from sync_core.state.database import open_pool

pytestmark = pytest.mark.integration

OLD, NEW = [{"qanCode": "60312345", "id": 101, "title": "Old"}], [{"qanCode": "60312345", "id": 202, "title": "New"}]


def refresh_elsewhere(config: RuntimeConfig, catalogue: list[dict[str, object]]) -> None:
    """`pics-sync qualifications refresh` as its own process does it: its own pool and QualificationLinks."""
    with open_pool(config.database_url.get_secret_value(), max_size=1) as pool:
        QualificationLinks(pool).refresh(catalogue)


def test_u5_a_refresh_elsewhere_is_used_by_the_next_lookup(config: RuntimeConfig, service: Service) -> None:
    """With an hour's ttl, a running consumer's next lookup after a refresh gives the new course."""
    long_lived = config.model_copy(update={"links_ttl_s": 3600.0})
    refresh_elsewhere(config, OLD)
    with open_service(long_lived) as consumer:
        assert consumer.ports.lookups.course_id("60312345") == "101"
        refresh_elsewhere(config, NEW)
        assert consumer.ports.lookups.course_id("60312345") == "202"
        assert consumer.side.ports.lookups.course_id("60312345") == "202"


def test_links_ttl_bounds_the_copy_without_a_notice(config: RuntimeConfig, service: Service) -> None:
    """PICS_SYNC_LINKS_TTL_S: a copy that heard no notice is read again once the ttl has passed (0: each time)."""
    refresh_elsewhere(config, OLD)
    with open_pool(config.database_url.get_secret_value(), max_size=1) as pool:
        deaf, every_time = QualificationLinks(pool, ttl=3600.0), QualificationLinks(pool, ttl=0.0)
        assert deaf.course_id("60312345") == every_time.course_id("60312345") == "101"
        refresh_elsewhere(config, NEW)
        assert deaf.course_id("60312345") == "101"  # not listening, within its ttl: the copy it holds
        assert every_time.course_id("60312345") == "202"
