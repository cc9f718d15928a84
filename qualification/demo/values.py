"""The seeded source of every demo value: Faker and random with one seed, the moment "now",
and the demo users once they exist. The other modules take it as `demo`."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone
from faker import Faker

from crm.matching import normalize_company_name
from crm.models import TimelineEntry
from qualification.demo.catalog import (
    AREA_CODES,
    DEMO_USERS,
    OWNER_WEIGHTS,
    SALES_USERNAMES,
    TOPICS,
)


class DemoValues:
    """Deterministic values for the demo records; `skipped` collects leads left open."""

    def __init__(self, *, seed: int) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.random = random.Random(seed)
        self.now = timezone.now()
        self.users: dict[str, User] = {}
        self.skipped: list[str] = []

    def users_create(self) -> None:
        for spec in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=spec.username,
                defaults={
                    "first_name": spec.first_name,
                    "last_name": spec.last_name,
                    "email": f"{spec.username}@crm-demo.example",
                    "is_staff": spec.is_admin,
                    "is_superuser": spec.is_admin,
                },
            )
            if created:
                user.set_password(spec.password)
                user.save(update_fields=["password"])
            if spec.group:
                user.groups.add(Group.objects.get(name=spec.group))
            self.users[spec.username] = user

    def owner(self) -> User:
        name = self.random.choices(SALES_USERNAMES, weights=OWNER_WEIGHTS)[0]
        return self.users[name]

    def phone(self) -> str:
        return self.fake.numerify(f"+1 ({self.random.choice(AREA_CODES)}) 555-####")

    def domain(self, company: str) -> str:
        slug = "".join(ch for ch in normalize_company_name(company) if ch.isalnum())
        return f"{slug[:40] or 'company'}.com"

    def address(self) -> dict[str, str]:
        return {
            "street1": self.fake.street_address(),
            "city": self.fake.city(),
            "state_province": self.fake.state_abbr(),
            "postal_code": self.fake.postcode(),
            "country": "United States",
        }

    def topic(self) -> str:
        return self.random.choice(TOPICS).format(n=self.random.choice((5, 10, 12, 25, 40, 150)))

    def budget(self) -> Decimal:
        return Decimal(self.random.randrange(5_000, 750_000, 500))

    def when(self, *, days: int) -> datetime:
        """A moment in the last `days` days, during working hours, at least an hour ago (so
        that something can happen after it: before dawn, today's working hours are still to
        come, and the day before is taken)."""
        moment = self.now - timedelta(days=self.random.uniform(0, days))
        moment = moment.replace(hour=self.random.randint(8, 17), minute=self.random.randint(0, 59))
        if moment > self.now - timedelta(hours=1):
            moment -= timedelta(days=1)
        return moment

    def after(self, moment: datetime) -> datetime:
        """A few hours to ten days after `moment`, and not in the future."""
        return min(moment + timedelta(hours=self.random.randint(3, 240)), self.now)

    def email(self, first: str, last: str, company: str) -> str:
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        return f"{local}@{self.domain(company)}"

    def entries_after_records(self, model: type[Any], records: list[Any]) -> None:
        """Timeline entries are stamped "now": move each a little after its record's birth."""
        created = {record.pk: record.created_at for record in records}
        entries = list(
            TimelineEntry.objects.filter(
                content_type__app_label=model._meta.app_label,
                content_type__model=model._meta.model_name,
                object_id__in=created,
            )
        )
        for entry in entries:
            later = created[entry.object_id] + timedelta(hours=self.random.randint(2, 70))
            entry.created_at = min(later, self.now)
        TimelineEntry.objects.bulk_update(entries, ["created_at"], batch_size=500)
