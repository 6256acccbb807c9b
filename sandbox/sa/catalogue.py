"""The course catalogue a fresh sandbox offers: apprenticeship standards and qualifications.

``qanCode`` is the Qualification Number in its 8-character form without slashes (``60312345``,
as the ILR's LearnAimRef writes it; Ofqual prints it ``603/1234/5``). The codes are invented in
that form, not looked up; the titles are the kind SA lists.
"""

from __future__ import annotations

#: Course ids are numbered from here in catalogue order, on every replacement too.
FIRST_COURSE_ID = 101

DEFAULT_CATALOGUE: tuple[dict[str, str], ...] = (
    {"qanCode": "60305735", "title": "Level 3 Diploma in Adult Care (England)"},
    {"qanCode": "60313054", "title": "Level 2 Diploma in Care (England)"},
    {"qanCode": "60336497", "title": "Business Administrator Level 3 Apprenticeship Standard"},
    {"qanCode": "60337015", "title": "Customer Service Practitioner Level 2 Apprenticeship Standard"},
    {"qanCode": "60323418", "title": "Team Leader / Supervisor Level 3 Apprenticeship Standard"},
    {"qanCode": "60331298", "title": "Operations / Departmental Manager Level 5 Apprenticeship Standard"},
    {"qanCode": "60304226", "title": "Functional Skills Qualification in Mathematics at Level 2"},
    {"qanCode": "60304214", "title": "Functional Skills Qualification in English at Level 2"},
)
