"""When a lead closed: set by disqualify (and qualify), cleared by reactivation."""

import pytest
from django.contrib.auth.models import User

from leads.models import Lead, LeadStatus
from leads.services import (
    lead_disqualify,
    lead_reactivate,
    leads_disqualify,
    leads_reactivate,
)
from tests.factories import (
    LeadFactory,
)

pytestmark = pytest.mark.django_db


def test_it_records_when_a_lead_closes_and_forgets_it_on_reactivation(salesperson: User) -> None:
    one, many = LeadFactory(owner=salesperson), LeadFactory(owner=salesperson)

    lead_disqualify(lead=one, reason=LeadStatus.LOST, acting_user=salesperson)
    leads_disqualify(lead_ids=[many.pk], reason=LeadStatus.LOST, acting_user=salesperson)

    one.refresh_from_db()
    many.refresh_from_db()
    assert one.closed_at is not None and one.closed_at >= one.created_at
    assert many.closed_at is not None
    lead_reactivate(lead=one, acting_user=salesperson)
    leads_reactivate(lead_ids=[many.pk], acting_user=salesperson)
    assert Lead.objects.filter(pk__in=[one.pk, many.pk], closed_at__isnull=True).count() == 2
