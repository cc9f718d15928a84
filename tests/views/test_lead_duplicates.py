"""The "View possible duplicates" banner on the lead form, the grid's View duplicates command,
the comparison page and its Merge leads form: permissions, bad input, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from crm.services.errors import MERGE_NOT_ALLOWED, MERGE_TOO_FEW
from leads.forms import (
    LEAD_MERGE_MASTER_NOT_MERGED,
    LEAD_MERGE_SELECTION_INVALID,
    LEAD_MERGE_VALUE_INVALID,
)
from leads.models import Lead, LeadState, LeadStatus
from leads.services.errors import LEAD_MERGE_OUTCOME_INVALID
from leads.services.merge import lead_label
from leads.views.bulk import SELECT_ONE_FOR_DUPLICATES
from tests.factories import LeadFactory
from tests.unit.leads.timeline import note_with_file

pytestmark = pytest.mark.django_db


def twin_of(lead: Lead, **fields) -> Lead:
    """An open lead with the same email (nothing else in common)."""
    values = {"owner": lead.owner, "email": lead.email.upper(), "business_phone": ""}
    return LeadFactory(**(values | fields))


@pytest.fixture
def lead(salesperson) -> Lead:
    return LeadFactory(
        owner=salesperson, email="jon@contoso.com", business_phone="", company_name="Contoso"
    )


def page_url(lead: Lead) -> str:
    return reverse("leads:lead-duplicates", args=[lead.pk])


def merge_data(master: Lead, *leads: Lead, **extra) -> dict:
    return {
        "ids": [lead.pk for lead in leads],
        "master": master.pk,
        "outcome": "disqualify",
    } | extra


def assert_unchanged(*leads: Lead) -> None:
    for lead in leads:
        stored = Lead.objects.get(pk=lead.pk)
        assert (stored.state, stored.updated_at) == (lead.state, lead.updated_at)


# The banner ------------------------------------------------------------------------------------


def test_the_lead_form_shows_the_banner_with_the_link(sales_client: Client, lead):
    twin_of(lead)
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert 'aria-label="Possible duplicates"' in page
    assert "One open lead looks like the same person" in page
    assert f'href="{page_url(lead)}">View possible duplicates</a>' in page


def test_no_banner_without_open_duplicates(sales_client: Client, lead):
    twin_of(lead, disqualified=True)
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert "View possible duplicates" not in page


# The lead form of a lead with no match key (nothing to look up).
LEAD_FORM_QUERIES = 5


def test_a_lead_without_a_key_costs_no_extra_query(
    sales_client: Client, salesperson, django_assert_num_queries
):
    bare = LeadFactory(owner=salesperson, email="", business_phone="", company_name="")
    with django_assert_num_queries(LEAD_FORM_QUERIES):
        sales_client.get(bare.get_absolute_url())


@pytest.mark.parametrize("twins", [0, 1, 3])
def test_the_banner_adds_two_queries_whatever_the_duplicates(
    sales_client: Client, lead, twins, django_assert_num_queries
):
    """The duplicate rules' switches, then the candidates."""
    for _ in range(twins):
        twin_of(lead)
    with django_assert_num_queries(LEAD_FORM_QUERIES + 2):
        response = sales_client.get(lead.get_absolute_url())
    assert ("View possible duplicates" in response.content.decode()) == bool(twins)


# View duplicates in the grid ---------------------------------------------------------------------


def test_view_duplicates_opens_the_comparison_of_the_selected_lead(sales_client: Client, lead):
    response = sales_client.post(reverse("leads:lead-bulk-duplicates"), {"lead_ids": [lead.pk]})
    assert response.status_code == 302
    assert response["Location"] == page_url(lead)


def test_view_duplicates_with_htmx_redirects_the_page(sales_client: Client, lead):
    response = sales_client.post(
        reverse("leads:lead-bulk-duplicates"), {"lead_ids": [lead.pk]}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == page_url(lead)


def test_view_duplicates_needs_exactly_one_lead(sales_client: Client, lead):
    other = twin_of(lead)
    response = sales_client.post(
        reverse("leads:lead-bulk-duplicates"), {"lead_ids": [lead.pk, other.pk]}, follow=True
    )
    assert SELECT_ONE_FOR_DUPLICATES in response.content.decode()


def test_view_duplicates_with_nothing_selected_says_so(sales_client: Client):
    response = sales_client.post(reverse("leads:lead-bulk-duplicates"), {}, follow=True)
    assert "Select at least one lead first." in response.content.decode()


# The comparison page -------------------------------------------------------------------------


def test_the_comparison_shows_each_reason_and_highlights_the_matching_fields(
    sales_client: Client, lead
):
    by_email = twin_of(lead, company_name="Fabrikam")
    by_name = LeadFactory(
        owner=lead.owner,
        first_name=lead.first_name.upper(),
        last_name=lead.last_name,
        company_name="CONTOSO Ltd",
        email="",
        business_phone="",
    )
    page = sales_client.get(page_url(lead)).content.decode()
    assert "Matched: same email" in page
    assert "Matched: same name + same company" in page
    assert f"<mark>{by_email.email}</mark>" in page
    assert "<mark>CONTOSO Ltd</mark>" in page
    assert f"<mark>{lead.email}</mark>" in page
    assert "<mark>Fabrikam</mark>" not in page
    assert f'value="{by_name.pk}" checked> Merge' in page


def test_a_lead_without_duplicates_says_so(sales_client: Client, lead):
    page = sales_client.get(page_url(lead)).content.decode()
    assert "No open lead shares this lead" in page
    assert "Merge leads" not in page


def test_another_owners_leads_can_be_compared_but_not_merged(
    client: Client, lead, other_salesperson
):
    twin_of(lead)
    client.force_login(other_salesperson)
    page = client.get(page_url(lead)).content.decode()
    assert "Only the owner or a sales manager can merge leads" in page


@pytest.mark.parametrize("twins", [1, 4])
def test_the_comparison_query_count_is_constant(
    sales_client: Client, lead, twins, django_assert_num_queries
):
    for _ in range(twins):
        twin_of(lead)
    with django_assert_num_queries(5):
        response = sales_client.get(page_url(lead))
    assert response.status_code == 200


def test_it_404s_for_a_lead_that_does_not_exist(sales_client: Client):
    assert sales_client.get(reverse("leads:lead-duplicates", args=[999999])).status_code == 404


# Merge leads ---------------------------------------------------------------------------------


def test_merge_leads_disqualifies_the_other_and_opens_the_master(sales_client: Client, lead):
    other = twin_of(lead, job_title="CTO")
    note = note_with_file(other, lead.owner)
    response = sales_client.post(page_url(lead), merge_data(lead, lead, other), follow=True)

    assert response.redirect_chain[-1][0] == lead.get_absolute_url()
    master = Lead.objects.get(pk=lead.pk)
    assert f"Merged 1 lead into {master}." in response.content.decode()
    other.refresh_from_db()
    assert (other.state, other.status_reason) == (LeadState.DISQUALIFIED, LeadStatus.DUPLICATE)
    assert Lead.objects.get(pk=lead.pk).job_title == "CTO"
    note.refresh_from_db()
    assert note.object_id == lead.pk


def test_merge_leads_deletes_the_other_when_asked(sales_client: Client, lead):
    other = twin_of(lead)
    sales_client.post(page_url(lead), merge_data(lead, lead, other, outcome="delete"))
    assert not Lead.objects.filter(pk=other.pk).exists()


def test_merge_leads_keeps_the_value_picked(sales_client: Client, lead):
    other = twin_of(lead, job_title="CTO")
    data = merge_data(other, lead, other) | {"field-job_title": lead.pk}
    sales_client.post(page_url(lead), data)
    assert Lead.objects.get(pk=other.pk).job_title == lead.job_title
    assert Lead.objects.get(pk=lead.pk).status_reason == LeadStatus.DUPLICATE


@pytest.mark.parametrize("twins", [1, 3])
def test_merge_leads_query_count_is_constant_in_the_notes(
    sales_client: Client, lead, twins, django_assert_num_queries
):
    other = twin_of(lead)
    for _ in range(twins):
        note_with_file(other, lead.owner)
    with django_assert_num_queries(16):
        response = sales_client.post(page_url(lead), merge_data(lead, lead, other))
    assert response.status_code == 302


def refused(client: Client, lead: Lead, data: dict) -> str:
    response = client.post(page_url(lead), data)
    assert response.status_code == 200
    return response.content.decode()


def test_a_master_not_among_the_merged_leads_is_refused(sales_client: Client, lead):
    other = twin_of(lead)
    third = twin_of(lead)
    page = refused(sales_client, lead, merge_data(third, lead, other))
    assert LEAD_MERGE_MASTER_NOT_MERGED in page
    assert_unchanged(lead, other, third)


def test_ids_that_are_not_the_compared_leads_are_refused(sales_client: Client, lead):
    other = twin_of(lead)
    stranger = LeadFactory(owner=lead.owner)
    page = refused(sales_client, lead, merge_data(lead, lead, stranger))
    assert LEAD_MERGE_SELECTION_INVALID in page
    assert_unchanged(lead, other, stranger)


@pytest.mark.parametrize("bad", ["x", "0", "-3", str(2**64)])
def test_tampered_ids_are_refused(sales_client: Client, lead, bad):
    other = twin_of(lead)
    page = refused(sales_client, lead, merge_data(lead, lead) | {"ids": [lead.pk, bad]})
    assert LEAD_MERGE_SELECTION_INVALID in page
    assert_unchanged(lead, other)


def test_a_tampered_value_choice_is_refused(sales_client: Client, lead):
    other = twin_of(lead)
    page = refused(sales_client, lead, merge_data(lead, lead, other) | {"field-email": "abc"})
    assert LEAD_MERGE_VALUE_INVALID.format(field="Email") in page
    assert_unchanged(lead, other)


def test_a_tampered_outcome_is_refused(sales_client: Client, lead):
    other = twin_of(lead)
    page = refused(sales_client, lead, merge_data(lead, lead, other, outcome="archive"))
    assert LEAD_MERGE_OUTCOME_INVALID in page
    assert_unchanged(lead, other)


def test_one_lead_alone_is_not_merged(sales_client: Client, lead):
    other = twin_of(lead)
    page = refused(sales_client, lead, merge_data(lead, lead))
    assert MERGE_TOO_FEW.format(records="leads") in page
    assert_unchanged(lead, other)


def test_another_owners_lead_is_refused_for_a_salesperson(client: Client, lead, other_salesperson):
    theirs = twin_of(lead, owner=other_salesperson)
    client.force_login(other_salesperson)
    page = refused(client, lead, merge_data(theirs, lead, theirs))
    message = MERGE_NOT_ALLOWED.format(records="leads", names=lead_label(lead))
    assert message.replace("'", "&#x27;") in page
    assert_unchanged(lead, theirs)


def test_a_manager_merges_anyones_leads(client: Client, lead, manager):
    other = twin_of(lead)
    client.force_login(manager)
    response = client.post(page_url(lead), merge_data(lead, lead, other))
    assert response.status_code == 302
    assert Lead.objects.get(pk=other.pk).status_reason == LeadStatus.DUPLICATE


def test_it_rejects_other_methods(sales_client: Client, lead):
    assert sales_client.put(page_url(lead)).status_code == 405


def test_it_requires_login(client: Client, lead):
    response = client.get(page_url(lead))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_fields_nobody_filled_are_left_out(sales_client: Client, lead):
    twin_of(lead, industry="")
    Lead.objects.filter(pk=lead.pk).update(industry="")
    page = sales_client.get(page_url(lead)).content.decode()
    assert "<legend>Industry</legend>" not in page
    assert "<legend>Email</legend>" in page


def test_a_closed_lead_is_not_compared(sales_client: Client, lead):
    twin_of(lead)
    Lead.objects.filter(pk=lead.pk).update(
        state=LeadState.DISQUALIFIED, status_reason=LeadStatus.DUPLICATE
    )
    page = sales_client.get(page_url(lead)).content.decode()
    assert "This lead is closed: only open leads are compared and merged." in page
    assert "Merge leads" not in page
    assert (
        "View possible duplicates" not in sales_client.get(lead.get_absolute_url()).content.decode()
    )
