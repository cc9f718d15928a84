"""Refusals (closed, another's lead, CSRF, login, methods) and query counts."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.models import Opportunity
from leads.models import Lead
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    lead_qualify,
)
from qualification.models import Qualification
from tests.factories import LeadFactory
from tests.views.qualify.screens import (
    HX,
    SALESPERSON,
    client_redirect,
    configure,
    counts,
    opportunity_fields,
    opportunity_form_url,
    qualify_url,
    screen_post,
    search_url,
)

pytestmark = pytest.mark.django_db


def test_it_says_the_lead_is_closed_and_writes_nothing(sales_client, salesperson):
    lead = LeadFactory(owner=salesperson, disqualified=True)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert LEAD_CLOSED in body
    assert 'aria-labelledby="qualify-message-title"' in body
    assert sales_client.post(qualify_url(lead), screen_post(lead), **HX).status_code == 200
    assert Qualification.objects.count() == 0


def test_it_says_a_qualified_lead_is_already_qualified(sales_client, lead, salesperson):
    data = screen_post(lead)
    lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    before = counts()

    response = sales_client.post(qualify_url(lead), data, **HX)

    assert LEAD_ALREADY_QUALIFIED in response.content.decode()
    assert counts() == before
    assert LEAD_CLOSED in sales_client.get(qualify_url(lead), **HX).content.decode()


def test_it_refuses_another_salespersons_lead(client: Client, other_salesperson, lead):
    client.force_login(other_salesperson)

    assert client.get(qualify_url(lead), **HX).status_code == 403
    assert client.post(qualify_url(lead), screen_post(lead), **HX).status_code == 403
    assert client.get(opportunity_form_url(lead), **HX).status_code == 403
    assert client.get(search_url(lead, "account"), **HX).status_code == 403
    assert Qualification.objects.count() == 0


def test_it_lets_a_sales_manager_qualify_any_lead(client: Client, manager, lead):
    client.force_login(manager)

    response = client.post(qualify_url(lead), screen_post(lead), **HX)

    client_redirect(response)
    assert Qualification.objects.get().qualified_by == manager


def test_it_requires_the_csrf_token(lead, salesperson):
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)

    response = client.post(qualify_url(lead), screen_post(lead), **HX)

    assert response.status_code == 403
    assert Qualification.objects.count() == 0


def test_it_requires_login(client: Client, lead):
    response = client.get(qualify_url(lead))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_rejects_other_methods(sales_client, lead):
    assert sales_client.put(qualify_url(lead)).status_code == 405
    assert sales_client.post(opportunity_form_url(lead)).status_code == 405


def test_it_404s_for_a_missing_lead(sales_client):
    assert sales_client.get(reverse("qualification:lead-qualify", args=[999999])).status_code == 404


def test_it_draws_the_pane_in_constant_queries(sales_client, lead, django_assert_num_queries):
    configure(account_mode=SALESPERSON, contact_mode=SALESPERSON, opportunity_mode=SALESPERSON)

    # Session, user, lead, settings, field mappings: the screens list no duplicates, so the
    # plan skips their lookups (the engine finds duplicates when it writes).
    with django_assert_num_queries(5):
        sales_client.get(qualify_url(lead), **HX)


def test_it_qualifies_three_opportunities_in_few_queries(
    sales_client, lead, django_assert_num_queries
):
    configure(
        account_mode=SALESPERSON,
        contact_mode=SALESPERSON,
        opportunity_mode=SALESPERSON,
        allow_multiple_opportunities=True,
    )
    data = screen_post(
        lead,
        **{"opportunity-index": ["0", "1", "2"]},
        **opportunity_fields(1, "Desks"),
        **opportunity_fields(2, "Lamps"),
    )
    ContentType.objects.get_for_models(Lead, Opportunity)

    # The screen's plan (5 with session and user) and the engine's locked transaction (13: it
    # qualifies with the plan's settings and field mappings; on PostgreSQL one more for the
    # advisory locks on the new records' match keys).
    with django_assert_num_queries(18 + (1 if connection.vendor == "postgresql" else 0)):
        response = sales_client.post(qualify_url(lead), data, **HX)

    client_redirect(response)
    assert Opportunity.objects.count() == 3
