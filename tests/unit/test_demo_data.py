from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from crm.models import Account, Contact, Opportunity, OpportunityState, TimelineEntry
from leads.models import Lead, LeadOrigin, LeadState
from qualification.demo import ALREADY_LOADED, DEMO_USERS
from qualification.models import Qualification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "leads": Lead.objects.count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "timeline": TimelineEntry.objects.count(),
    }


def test_it_loads_the_demo_and_prints_the_logins() -> None:
    output = load()

    assert Lead.objects.count() >= 300
    assert 35 <= Account.objects.count() <= 50
    assert 70 <= Contact.objects.count() <= 100
    assert 35 <= Opportunity.objects.count() <= 50
    for user in DEMO_USERS:
        assert f"{user.username:<10} {user.password:<18} {user.role}" in output


def test_it_names_the_address_the_demo_is_served_at() -> None:
    out = StringIO()
    call_command(
        "load_demo_data", "--site-url", "http://0.0.0.0:8109", stdout=out, stderr=StringIO()
    )

    assert "Sign in at http://0.0.0.0:8109/login/ with one of these demo logins:" in out.getvalue()
    assert "8000" not in out.getvalue()
    assert "Sign in at http://127.0.0.1:8000/login/" in load()


def test_a_second_run_changes_nothing() -> None:
    load()
    before = counts()

    output = load()

    assert ALREADY_LOADED in output
    assert "demo-admin-2026" in output
    assert counts() == before


def test_the_users_have_their_roles_and_passwords() -> None:
    load()

    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("demo-admin-2026")
    salespeople = User.objects.filter(groups__name="Salespeople")
    assert sorted(salespeople.values_list("username", flat=True)) == ["dana", "lee"]
    manager = User.objects.get(groups__name="Sales managers")
    assert manager.has_perm("leads.manage_all_leads")
    assert not salespeople[0].has_perm("leads.manage_all_leads")


def test_the_leads_span_owners_states_and_weeks() -> None:
    load()

    owners = set(Lead.objects.values_list("owner__username", flat=True))
    assert owners == {"dana", "lee", "maria"}
    assert Lead.objects.filter(state=LeadState.OPEN, status_reason="new").count() > 100
    assert Lead.objects.filter(state=LeadState.OPEN, status_reason="contacted").count() > 30
    disqualified = Lead.objects.filter(state=LeadState.DISQUALIFIED)
    assert disqualified.count() > 10
    assert len(set(disqualified.values_list("status_reason", flat=True))) == 4
    now = timezone.now()
    assert Lead.objects.filter(created_at__gte=now - timedelta(days=7)).exists()
    assert Lead.objects.filter(
        created_at__lt=now - timedelta(days=7), created_at__gte=now - timedelta(days=14)
    ).exists()
    assert not Lead.objects.filter(created_at__gt=now).exists()


def test_qualified_leads_come_from_the_engine() -> None:
    load()

    qualified = Lead.objects.filter(state=LeadState.QUALIFIED)
    assert qualified.count() >= 10
    for lead in qualified:
        assert lead.parent_account_id and lead.parent_contact_id and lead.qualifying_opportunity_id
        assert LeadOrigin.objects.filter(lead=lead, opportunity__isnull=False).exists()
        assert lead.qualifications.exists()


def test_closed_leads_were_decided_after_they_came_in() -> None:
    load()

    closed = Lead.objects.exclude(state=LeadState.OPEN)
    now = timezone.now()
    assert closed.count() > 20
    for lead in closed:
        assert lead.created_at < lead.closed_at <= now
    for qualification in Qualification.objects.select_related("lead"):
        assert qualification.created_at == qualification.lead.closed_at
    # Spread over the days, as the Insights page shows them: not all at once.
    assert len({lead.closed_at.date() for lead in closed}) > 5


def test_it_plants_near_duplicates_for_duplicate_detection() -> None:
    load()

    contoso_names = set(
        Lead.objects.filter(company_name__iregex=r"^(the )?contoso").values_list(
            "company_name", flat=True
        )
    )
    assert {"Contoso, Inc.", "CONTOSO"} <= contoso_names
    assert Account.objects.filter(normalized_name="contoso").count() == 1
    assert Lead.objects.filter(email="Nancy.Davolio@CONTOSO.com").exists()
    assert Contact.objects.filter(email_normalized="nancy.davolio@contoso.com").exists()
    assert (
        Contact.objects.filter(email_normalized="andrew.fuller@northwindtraders.com").count() == 2
    )
    assert Contact.objects.filter(
        full_name_normalized="janet leverling", account__normalized_name="fabrikam"
    ).exists()


def test_every_record_has_its_match_keys() -> None:
    load()

    assert not Account.objects.filter(normalized_name="").exists()
    assert not Account.objects.exclude(website="").filter(website_domain="").exists()
    assert not Contact.objects.filter(full_name_normalized="").exists()
    assert not Contact.objects.exclude(email="").filter(email_normalized="").exists()


def test_opportunities_cover_every_stage_and_state() -> None:
    load()

    stages = set(Opportunity.objects.values_list("stage", flat=True))
    states = set(Opportunity.objects.values_list("state", flat=True))
    assert stages == {"develop", "propose", "close"}
    assert states == {OpportunityState.OPEN, OpportunityState.WON, OpportunityState.LOST}
    assert Opportunity.objects.filter(customer_contact__isnull=False).exists()
    assert TimelineEntry.objects.filter(kind="note").exists()
