"""The "Lead qualified" page: the summary, the records, Finish and X; owner or manager only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from crm.models import Account
from leads.models import Lead
from qualification.engine import (
    Choice,
    QualifyDecisions,
    QualifyResult,
    RecordDecision,
    lead_qualify,
)
from qualification.models import CreationMode, Experience, QualificationSettings
from qualification.services import qualification_settings_update
from tests.factories import AccountFactory, LeadFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db


def configure(**fields: object) -> QualificationSettings:
    return qualification_settings_update(
        qualification_settings=QualificationSettings.load(), **fields
    )


def page_url(result: QualifyResult) -> str:
    return reverse("qualification:lead-qualified", args=[result.lead.pk, result.qualification.pk])


@pytest.fixture
def lead(salesperson: User) -> Lead:
    return LeadFactory(
        owner=salesperson,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        company_name="Fabrikam, Inc.",
    )


@pytest.fixture
def qualified(lead: Lead, salesperson: User) -> QualifyResult:
    configure(
        experience=Experience.NEW,
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
        summarize_after_qualify=True,
    )
    TimelineEntryFactory(
        record=lead, title="Call", body="Wants <b>samples</b> first.\nCall back Monday."
    )
    return lead_qualify(
        lead_id=lead.pk,
        acting_user=salesperson,
        decisions=QualifyDecisions(opportunities=[{"topic": "Chairs"}, {"topic": "Desks"}]),
    )


def test_it_shows_the_summary_and_the_records(sales_client, qualified):
    response = sales_client.get(page_url(qualified))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>Lead qualified · CRM</title>" in body
    assert "<h1>Lead qualified</h1>" in body
    assert "Nina Novak" in body
    account, contact = qualified.account, qualified.contact
    chairs, desks = qualified.opportunities
    created = '<span class="badge">Created</span>'
    assert f'<a href="{account.get_absolute_url()}">Fabrikam, Inc.</a> {created}' in body
    assert (
        f'<a href="{contact.get_absolute_url()}">Nina Novak</a> <span class="badge">Created</span>'
        in body
    )
    primary = '<span class="badge">Created, primary</span>'
    assert f'<a href="{chairs.get_absolute_url()}">Chairs</a> {primary}' in body
    assert (
        f'<a href="{desks.get_absolute_url()}">Desks</a> <span class="badge">Created</span>' in body
    )
    assert (
        f'<a class="button primary" role="button" href="{chairs.get_absolute_url()}">Finish</a>'
        in body
    )
    assert (
        f'href="{qualified.lead.get_absolute_url()}" aria-label="Close">\N{MULTIPLICATION SIGN}</a>'
        in body
    )


def test_it_escapes_the_summary_and_keeps_its_line_breaks(sales_client, lead, salesperson):
    configure(experience=Experience.NEW, summarize_after_qualify=True)
    TimelineEntryFactory(record=lead, title="Call", body="Wants <script>x()</script> samples.")
    result = lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    assert "\n" in result.summary

    body = sales_client.get(page_url(result)).content.decode()

    assert "<script>x()" not in body
    assert "&lt;script&gt;x()&lt;/script&gt;" in body
    assert '<div class="lead-summary"><p>' in body
    assert "<br>" in body or "</p>\n\n<p>" in body


def test_it_marks_an_existing_account_and_finishes_on_the_lead(sales_client, lead, salesperson):
    configure(
        experience=Experience.NEW,
        account_mode=CreationMode.SALESPERSON,
        opportunity_mode=CreationMode.SALESPERSON,
        summarize_after_qualify=True,
    )
    existing = AccountFactory(name="Northwind Traders")
    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=salesperson,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=existing.pk),
            opportunities=[],
        ),
    )

    body = sales_client.get(page_url(result)).content.decode()

    existing_badge = '<span class="badge">Existing</span>'
    assert f'<a href="{existing.get_absolute_url()}">Northwind Traders</a> {existing_badge}' in body
    assert "<dt>Opportunity</dt>\n      <dd>None</dd>" in body
    assert f'role="button" href="{lead.get_absolute_url()}">Finish</a>' in body
    assert Account.objects.count() == 1


def test_it_lets_a_sales_manager_see_it(client: Client, manager, qualified):
    client.force_login(manager)

    assert client.get(page_url(qualified)).status_code == 200


def test_it_404s_for_other_users_lead(client: Client, other_salesperson, qualified):
    client.force_login(other_salesperson)

    assert client.get(page_url(qualified)).status_code == 404


def test_it_404s_for_a_qualification_of_another_lead(sales_client, qualified, salesperson):
    other = LeadFactory(owner=salesperson)
    url = reverse("qualification:lead-qualified", args=[other.pk, qualified.qualification.pk])

    assert sales_client.get(url).status_code == 404


def test_it_requires_login(client: Client, qualified):
    response = client.get(page_url(qualified))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_post(sales_client, qualified):
    assert sales_client.post(page_url(qualified)).status_code == 405


def test_it_reads_the_page_in_constant_queries(sales_client, qualified, django_assert_num_queries):
    # Session and user, the qualification with its lead and records, its opportunities.
    with django_assert_num_queries(4):
        sales_client.get(page_url(qualified))
