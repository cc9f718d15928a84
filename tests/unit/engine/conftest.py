"""What the engine's tests share: the settings, a lead worth qualifying, record counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from crm.models import (
    Account,
    Contact,
    Need,
    Opportunity,
    PurchaseProcess,
    PurchaseTimeframe,
    TimelineEntry,
    TimelineEntryKind,
)
from leads.models import Lead, LeadOrigin, LeadState
from qualification.engine import QualifyValidationError
from qualification.models import Qualification, QualificationSettings
from qualification.services import qualification_settings_update
from tests.factories import LeadFactory, UserFactory

# On PostgreSQL the decisive duplicate check is preceded by one statement that takes the
# advisory locks of the new records' match keys; SQLite already serialises writers, so there
# the lock makes no query.
LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0


def configure(**fields: object) -> QualificationSettings:
    return qualification_settings_update(
        qualification_settings=QualificationSettings.load(), **fields
    )


def record_counts() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "origins": LeadOrigin.objects.count(),
        "qualifications": Qualification.objects.count(),
        "timeline": TimelineEntry.objects.exclude(kind=TimelineEntryKind.NOTE).count(),
    }


def timeline_of(record) -> list[TimelineEntry]:
    return list(
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        ).order_by("id")
    )


def problems_of(error: QualifyValidationError) -> set[tuple[str, int | None, str | None, str]]:
    """(record type, opportunity position, field, message) of every problem."""
    return {(p.record, p.position, p.field, p.message) for p in error.problems}


def assert_nothing_written(lead: Lead, before: dict[str, int]) -> None:
    assert record_counts() == before
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert lead.parent_account_id is None
    assert lead.qualifying_opportunity_id is None


@pytest.fixture
def user():
    return UserFactory(username="qualifier", salesperson=True)


@pytest.fixture
def lead(user):
    return LeadFactory(
        owner=user,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        job_title="Buyer",
        company_name="Fabrikam, Inc.",
        email="Nina.Novak@Fabrikam.example",
        website="https://www.fabrikam.example",
        business_phone="+1 555 100 2000",
        mobile_phone="+1 555 100 3000",
        city="Springfield",
        budget_amount=Decimal("12500.00"),
        purchase_timeframe=PurchaseTimeframe.THIS_QUARTER,
        purchase_process=PurchaseProcess.COMMITTEE,
        need=Need.MUST_HAVE,
        decision_maker=True,
        qualification_comments="Wants a demo first.",
    )
