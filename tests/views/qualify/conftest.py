"""The lead the Qualify screens are tested with, and an account it would duplicate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from crm.models import Account, PurchaseTimeframe
from leads.models import Lead
from tests.factories import AccountFactory, LeadFactory


@pytest.fixture
def lead(salesperson: User) -> Lead:
    return LeadFactory(
        owner=salesperson,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        job_title="Buyer",
        company_name="Fabrikam, Inc.",
        email="nina.novak@fabrikam.example",
        website="https://www.fabrikam.example",
        business_phone="+1 555 100 2000",
        city="Springfield",
        budget_amount=Decimal("12500.00"),
        purchase_timeframe=PurchaseTimeframe.THIS_QUARTER,
    )


@pytest.fixture
def fabrikam(other_salesperson: User) -> Account:
    return AccountFactory(
        name="Fabrikam Inc",
        website="https://fabrikam.example",
        phone="+1 555 999 0000",
        city="Redmond",
        owner=other_salesperson,
    )
