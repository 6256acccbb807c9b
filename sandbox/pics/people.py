"""Realistic, repeatable UK-style learners for the demo, tests and benchmarks (Faker, en_GB)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from faker import Faker

# ILR ethnicity codes (31–47, 98 not provided, 99 not known).
ETHNICITIES = tuple(str(code) for code in (*range(31, 48), 98, 99))
EDITABLE = (
    "first_name", "surname", "email", "address_1", "address_2", "address_3", "address_4", "postcode",
    "phone_number", "mobile_number", "gender", "ethnicity", "disability", "ni_number", "uln", "lrn",
)  # fmt: skip


_NI_NEVER_ISSUED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uln(rng: random.Random) -> str:
    """A ULN whose tenth digit is 10 less the first nine's sum, weighted 10 down to 2, mod 11 (not 0)."""
    while True:
        digits = str(rng.randint(100_000_000, 999_999_999))
        remainder = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if remainder:
            return f"{digits}{10 - remainder}"


class People:
    """A seeded source of learners and edits to them."""

    def __init__(self, seed: int = 7) -> None:
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)

    def uln(self) -> str:
        """A Unique Learner Number: nine digits and the ESFA's check digit."""
        return uln(self.rng)

    def ni_number(self) -> str:
        """An NI number as HMRC issues them (two letters, six digits, a suffix)."""
        prefix = "GB"
        while prefix in _NI_NEVER_ISSUED:
            prefix = self.rng.choice("ABCEGHJKLMNPRSTWXYZ") + self.rng.choice("ABCEGHJKLMNPRSTWXYZ")
        return f"{prefix}{self.rng.randint(0, 999_999):06d}{self.rng.choice('ABCD')}"

    def learner(self, ident: str, *, start: date | None = None) -> dict[str, Any]:
        """A Live, in-learning learner with every PICS field filled."""
        first, surname = self.fake.first_name(), self.fake.last_name()
        return {
            "learner_ident": ident,
            **{"first_name": first, "surname": surname},
            "date_of_birth": self.fake.date_of_birth(minimum_age=16, maximum_age=45),
            "uln": self.uln(),
            "lrn": f"LRN{self.rng.randint(100_000, 999_999)}",
            "email": f"{first}.{surname}{self.rng.randint(1, 99)}@example.org".lower(),
            **self._address(),
            "ni_number": self.ni_number(),
            "phone_number": self.fake.phone_number(),
            "mobile_number": f"07{self.rng.randint(100_000_000, 999_999_999)}",
            "gender": self.rng.choice(("M", "F")),
            "ethnicity": self.rng.choice(ETHNICITIES),
            "disability": self.rng.choice(("Y", "N", "N", "N")),
            "system_status": "Live",
            "programme_status": "In Learning",
            "start_date": start or date.today() - timedelta(days=self.rng.randint(10, 400)),
            "end_date": None,
            "planned_otj_hours": float(self.rng.choice((278, 312, 416, 624))),
        }

    def _address(self) -> dict[str, Any]:
        return {
            "address_1": self.fake.building_number() + " " + self.fake.street_name(),
            "address_2": self.fake.city(),
            "address_3": None,
            "address_4": self.fake.county() if self.rng.random() < 0.5 else None,
            "postcode": self.fake.postcode(),
        }

    def edit(self, learner: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A copy of the learner with one to three fields changed, and the names changed."""
        names = self.rng.sample(EDITABLE, self.rng.randint(1, 3))
        fresh = self.learner(learner["learner_ident"])
        edited = {**learner, **{name: fresh[name] for name in names}}
        return edited, [name for name in names if edited[name] != learner[name]] or names


class Organisations:
    """Seeded employers (PICS organisations) and officers (assessors)."""

    def __init__(self, people: People) -> None:
        self.fake, self.rng = people.fake, people.rng

    def organisation(self, ident: str) -> dict[str, Any]:
        """A placement organisation with every U2 field filled."""
        name = self.fake.company()
        return {
            "organisation_id": ident,
            "name": name,
            "phone_number": self.fake.phone_number(),
            "edrs_number": str(self.rng.randint(100_000_000, 999_999_999)),
            "address_1": self.fake.building_number() + " " + self.fake.street_name(),
            "address_2": self.fake.city(),
            "address_3": None,
            "address_4": None,
            "postcode": self.fake.postcode(),
            "website": f"https://www.{self.fake.domain_word()}.example",
            "employer_size": self.rng.choice(("1-9", "10-49", "50-249", "250+")),
            "additional_id": None,
        }

    def officer(self, ident: str) -> dict[str, Any]:
        """A PICS officer with every U3 field filled."""
        first, surname = self.fake.first_name(), self.fake.last_name()
        return {
            "officer_id": ident,
            "first_name": first,
            "surname": surname,
            "email": f"{first}.{surname}.{ident}@provider.example".lower(),
            "phone_number": self.fake.phone_number(),
            "mobile_number": f"07{self.rng.randint(100_000_000, 999_999_999)}",
            "additional_id": None,
        }
