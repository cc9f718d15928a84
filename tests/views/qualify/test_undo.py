"""Undo qualification from the lead's command bar and the qualification record: the dialog
lists what will be deleted and what stays, or what refuses it; the undo, its message and its
query count; other people's leads; a bulk qualify undone from its result."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from crm.models import Account, Contact, Opportunity
from crm.services.records import account_update
from leads.models import Lead, LeadState
from qualification.engine import BulkOptions, lead_qualify, leads_bulk_qualify
from qualification.models import BulkQualifyJob, Qualification
from qualification.views.undo import UNDONE_MESSAGE
from tests.factories import AccountFactory, LeadFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def qualified(lead, salesperson):
    return lead_qualify(lead_id=lead.pk, acting_user=salesperson)


def _url(lead: Lead) -> str:
    return reverse("qualification:lead-undo", args=[lead.pk])


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_qualified_leads_command_bar_offers_undo(sales_client, qualified, lead):
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert f'hx-get="{_url(lead)}"' in page
    assert "Undo qualification</button>" in page


def test_an_open_lead_offers_no_undo(sales_client, lead):
    assert "Undo qualification" not in sales_client.get(lead.get_absolute_url()).content.decode()


def test_the_dialog_lists_what_is_deleted_and_what_stays(sales_client, salesperson):
    existing = AccountFactory(name="Contoso Ltd", owner=salesperson)
    lead = LeadFactory(owner=salesperson, existing_account=existing, last_name="Ruiz")
    result = lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    response = sales_client.get(_url(lead), **HTMX)
    assert response.status_code == 200
    text = _text(response)
    [opportunity] = result.opportunities
    assert f"Deleted Opportunity {opportunity} Contact {result.contact}" in text
    assert "Stays Account Contoso Ltd (existing: only the link to this lead is removed)" in text
    assert 'class="danger">Undo qualification' in response.content.decode()


def test_it_undoes_and_goes_back_to_the_lead(
    sales_client, qualified, lead, django_assert_num_queries
):
    ContentType.objects.get_for_models(Lead, Opportunity, Account, Contact)
    # The session and the user, the lead and its latest qualification, the undo (44, see
    # tests/unit/undo).
    with django_assert_num_queries(4 + 44 + LOCK_QUERIES):
        response = sales_client.post(_url(lead), **HTMX)
    assert response.headers["HX-Redirect"] == lead.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [UNDONE_MESSAGE]
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert not Account.objects.exists()


def test_the_dialog_says_what_refuses_the_undo(sales_client, qualified, lead, salesperson):
    account_update(account=qualified.account, acting_user=salesperson, phone="+1 555 0000")
    response = sales_client.get(_url(lead), **HTMX)
    text = _text(response)
    assert "It can't be undone: what it created was changed since." in text
    assert "Account Fabrikam, Inc. was edited on" in text
    assert re.search(r'class="danger" disabled>Undo qualification', response.content.decode())


def test_a_refused_post_changes_nothing_and_shows_the_reasons(
    sales_client, qualified, lead, salesperson
):
    account_update(account=qualified.account, acting_user=salesperson, phone="+1 555 0000")
    response = sales_client.post(_url(lead), **HTMX)
    assert response.status_code == 200
    assert "Account Fabrikam, Inc. was edited on" in _text(response)
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_it_refuses_another_salespersons_lead(client, other_salesperson, qualified, lead):
    client.force_login(other_salesperson)
    assert client.get(_url(lead)).status_code == 403
    assert client.post(_url(lead)).status_code == 403
    record = reverse("qualification:qualification-undo", args=[qualified.qualification.pk])
    assert client.post(record).status_code == 403
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_the_qualification_record_undoes_too_without_javascript(sales_client, qualified, lead):
    url = reverse("qualification:qualification-undo", args=[qualified.qualification.pk])
    page = sales_client.get(url)
    assert "<dialog data-modal open" in page.content.decode()
    response = sales_client.post(url)
    assert response.status_code == 302 and response.url == lead.get_absolute_url()
    assert Qualification.objects.get(pk=qualified.qualification.pk).undone_at is not None


def test_a_second_undo_says_it_was_already_undone(sales_client, qualified, lead):
    sales_client.post(_url(lead), **HTMX)
    url = reverse("qualification:qualification-undo", args=[qualified.qualification.pk])
    text = _text(sales_client.post(url, **HTMX))
    assert "This qualification was already undone." in text
    assert "It was already undone on" in text


# Bulk ----------------------------------------------------------------------------------------


def test_a_bulk_result_undoes_the_whole_bulk_qualify(sales_client, salesperson):
    leads = [LeadFactory(owner=salesperson, company_name=f"Company {n}") for n in range(3)]
    outcome = leads_bulk_qualify(
        lead_ids=[lead.pk for lead in leads], acting_user=salesperson, options=BulkOptions()
    )
    touched = Qualification.objects.get(pk=outcome.qualification_ids[2]).account
    account_update(account=touched, acting_user=salesperson, phone="+1 555 0101")
    url = reverse("qualification:bulk-undo")
    ids = {"ids": outcome.qualification_ids}
    confirm = sales_client.post(url, ids, **HTMX)
    assert "Undo 3 qualifications" in _text(confirm)
    response = sales_client.post(url, {**ids, "confirm": "1"}, **HTMX)
    text = _text(response)
    assert "2 qualifications undone ; 1 refused." in text
    assert f"{leads[0]} : open again" in text
    assert f"{leads[2]} : Account Company 2 was edited on" in text
    assert response.headers["HX-Trigger"] == '{"leadsChanged": {}}'


def test_a_bulk_qualify_result_offers_its_undo(sales_client, salesperson):
    leads = [LeadFactory(owner=salesperson) for _ in range(2)]
    data = {"lead_ids": [lead.pk for lead in leads], "view": "my_open", "confirm": "1"}
    data |= {"create_account": "on", "create_contact": "on", "create_opportunity": "on"}
    page = sales_client.post(reverse("qualification:bulk-qualify"), data, **HTMX)
    html = page.content.decode()
    assert "Undo this bulk qualify" in html
    for qualification in Qualification.objects.all():
        assert f'name="ids" value="{qualification.pk}"' in html


def test_a_finished_jobs_page_undoes_the_job(sales_client, salesperson, other_salesperson):
    from qualification.tasks import bulk_qualify_job_run

    leads = [LeadFactory(owner=salesperson) for _ in range(2)]
    ids = [lead.pk for lead in leads]
    job = BulkQualifyJob.objects.create(
        created_by=salesperson,
        lead_ids=ids,
        total=2,
        create_account=True,
        create_contact=True,
        create_opportunity=True,
    )
    bulk_qualify_job_run.call(job.pk)
    page = sales_client.get(reverse("qualification:bulk-job-detail", args=[job.pk]))
    assert f'name="job" value="{job.pk}"' in page.content.decode()
    url = reverse("qualification:bulk-undo")
    response = sales_client.post(url, {"job": job.pk, "confirm": "1"}, **HTMX)
    assert "2 qualifications undone ." in _text(response)
    assert Lead.objects.filter(state=LeadState.OPEN).count() == 2


def test_someone_elses_job_is_not_found(client, other_salesperson, salesperson):
    job = BulkQualifyJob.objects.create(created_by=salesperson, lead_ids=[], total=0)
    client.force_login(other_salesperson)
    response = client.post(reverse("qualification:bulk-undo"), {"job": job.pk}, **HTMX)
    assert response.status_code == 404


# The qualification record in admin -----------------------------------------------------------


def test_the_admin_record_links_to_undo_and_says_what_refuses_it(
    admin_client, qualified, salesperson
):
    url = reverse("admin:qualification_qualification_change", args=[qualified.qualification.pk])
    undo_url = reverse("qualification:qualification-undo", args=[qualified.qualification.pk])
    page = admin_client.get(url).content.decode()
    assert f'href="{undo_url}">Undo qualification</a>' in page
    assert "Refused now" not in page
    account_update(account=qualified.account, acting_user=salesperson, phone="+1 555 0000")
    text = _text(admin_client.get(url))
    assert "Refused now: Account Fabrikam, Inc. was edited on" in text


def test_the_admin_record_says_who_undid_it_and_what_went(admin_client, qualified, salesperson):
    from qualification.services.undo import qualification_undo

    qualification_undo(qualification=qualified.qualification, acting_user=salesperson)
    url = reverse("admin:qualification_qualification_change", args=[qualified.qualification.pk])
    text = _text(admin_client.get(url))
    assert "Undone on" in text and "by Sam Seller" in text
    assert "Account Fabrikam, Inc.: deleted" in text
    listing = reverse("admin:qualification_qualification_changelist")
    assert admin_client.get(listing, {"undone_at__isempty": "0"}).status_code == 200


@pytest.mark.parametrize("name", ["qualification:lead-undo", "qualification:qualification-undo"])
def test_it_sends_anonymous_visitors_to_sign_in(client, qualified, name):
    pk = qualified.lead.pk if name.endswith("lead-undo") else qualified.qualification.pk
    for response in (client.get(reverse(name, args=[pk])), client.post(reverse(name, args=[pk]))):
        assert response.status_code == 302 and "/login" in response.url
    assert client.post(reverse("qualification:bulk-undo"), {"ids": [1]}).status_code == 302
    assert Qualification.objects.get().undone_at is None


def test_bulk_undo_refuses_get(sales_client):
    assert sales_client.get(reverse("qualification:bulk-undo")).status_code == 405


def test_the_grids_selection_undoes_the_latest_qualification_of_each_lead(
    sales_client, salesperson
):
    qualified = [LeadFactory(owner=salesperson, company_name=f"Co {n}") for n in range(2)]
    results = [lead_qualify(lead_id=lead.pk, acting_user=salesperson) for lead in qualified]
    never = LeadFactory(owner=salesperson)
    grid = sales_client.get(reverse("leads:lead-list"), {"view": "closed"}).content.decode()
    assert "Undo qualification</button>" in grid
    selection = {"lead_ids": [*(lead.pk for lead in qualified), never.pk], "view": "closed"}
    url = reverse("qualification:bulk-undo")
    confirm = sales_client.post(url, selection, **HTMX).content.decode()
    assert "Undo 2 qualifications" in confirm
    for result in results:
        assert f'name="ids" value="{result.qualification.pk}"' in confirm
    ids = [result.qualification.pk for result in results]
    done = sales_client.post(url, {"ids": ids, "confirm": "1"}, **HTMX)
    assert "2 qualifications undone ." in _text(done)


def test_a_selection_without_qualifications_says_so(sales_client, salesperson):
    lead = LeadFactory(owner=salesperson)
    response = sales_client.post(
        reverse("qualification:bulk-undo"), {"lead_ids": [lead.pk], "view": "all"}, **HTMX
    )
    text = _text(response)
    assert "None of these leads has a qualification to undo." in text
    assert re.search(r'class="danger" disabled>Undo 0 qualifications', response.content.decode())
