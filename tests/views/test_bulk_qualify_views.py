"""Bulk qualify views: the dialog, the result, background jobs and their progress."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from leads.forms import SELECT_LEADS_FIRST
from leads.models import Lead, LeadState
from qualification.engine import LEAD_CLOSED, LEAD_NOT_OWNED
from qualification.models import (
    BulkJobStatus,
    BulkQualifyJob,
    Experience,
    QualificationSettings,
)
from qualification.tasks import BULK_JOB_NOT_RESUMABLE, BULK_JOB_STALLED_AFTER
from tests.factories import AccountFactory, LeadFactory
from tests.job_locks import job_lock_held_elsewhere

pytestmark = pytest.mark.django_db

URL = reverse("qualification:bulk-qualify")
HTMX = {"HTTP_HX_REQUEST": "true"}
CREATE_ALL = {"create_account": "on", "create_contact": "on", "create_opportunity": "on"}


def _post(client: Client, leads, *, htmx: bool = True, **data):
    payload = {"lead_ids": [lead.pk for lead in leads], "view": "my_open", "q": "", **data}
    return client.post(URL, payload, **(HTMX if htmx else {}))


def _triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


def _issue(lead: Lead, reason: str) -> str:
    """A result line: the lead's label linked to the lead, then the reason."""
    return f'<a href="{lead.get_absolute_url()}">{escape(str(lead))}</a>: {escape(reason)}'


def _job_url(job: BulkQualifyJob, name: str = "bulk-job-detail") -> str:
    return reverse(f"qualification:{name}", args=[job.pk])


def test_it_shows_the_qualify_leads_dialog(sales_client, salesperson):
    leads = [LeadFactory(owner=salesperson) for _ in range(3)]

    response = _post(sales_client, leads)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<dialog data-modal aria-labelledby="bulk-qualify-title"' in html
    assert '<h2 id="bulk-qualify-title">Qualify leads</h2>' in html
    assert "Qualify 3 leads." in html
    for label in ("Account", "Contact", "Opportunity"):
        assert f"> {label}</label>" in html
    assert html.count('type="checkbox"') == 3 and html.count("checked") == 3
    assert ">Qualify</button>" in html and ">Cancel</a>" in html
    assert "<html" not in html
    for lead in leads:
        assert f'name="lead_ids" value="{lead.pk}"' in html
    assert not Lead.objects.exclude(state=LeadState.OPEN).exists()


def test_it_qualifies_the_selection_on_confirm(sales_client, salesperson):
    leads = [LeadFactory(owner=salesperson) for _ in range(2)]

    response = _post(sales_client, leads, confirm="1", **CREATE_ALL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<dialog data-modal aria-labelledby="bulk-result-title"' in html
    assert "<strong>2 leads qualified</strong>" in html
    assert "leadsChanged" in _triggers(response)
    for lead in leads:
        lead.refresh_from_db()
        assert lead.state == LeadState.QUALIFIED
        assert lead.parent_account and lead.parent_contact and lead.qualifying_opportunity


def test_it_creates_only_the_ticked_record_types(sales_client, salesperson):
    lead = LeadFactory(owner=salesperson)

    _post(sales_client, [lead], confirm="1", create_contact="on")

    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.parent_contact is not None
    assert lead.parent_account is None and lead.qualifying_opportunity is None


def test_legacy_automatic_qualifies_at_once(sales_client, salesperson):
    QualificationSettings.objects.filter(pk=1).update(
        experience=Experience.LEGACY, legacy_create_automatically=True
    )
    lead = LeadFactory(owner=salesperson)

    response = _post(sales_client, [lead])

    html = response.content.decode()
    assert "bulk-qualify-title" not in html
    assert "<strong>1 lead qualified</strong>" in html
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.parent_account and lead.parent_contact and lead.qualifying_opportunity


def test_legacy_manual_asks_first(sales_client, salesperson):
    QualificationSettings.objects.filter(pk=1).update(
        experience=Experience.LEGACY, legacy_create_automatically=False
    )
    lead = LeadFactory(owner=salesperson)

    response = _post(sales_client, [lead])

    assert "Qualify 1 lead." in response.content.decode()
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_the_result_lists_each_lead_not_qualified_with_its_reason(
    sales_client, salesperson, other_salesperson
):
    closed = LeadFactory(owner=salesperson, disqualified=True, first_name="Cleo", last_name="Z")
    theirs = LeadFactory(owner=other_salesperson, first_name="Theo", last_name="Y")
    AccountFactory(name="Twin", website="")
    AccountFactory(name="Twin Inc", website="")
    review = LeadFactory(owner=salesperson, company_name="Twin", website="")
    fine = LeadFactory(owner=salesperson)

    response = _post(sales_client, [closed, theirs, review, fine], confirm="1", **CREATE_ALL)

    html = response.content.decode()
    assert "<strong>1 lead qualified</strong>; 3 not qualified." in html
    assert "Not qualified (2)" in html
    assert _issue(closed, LEAD_CLOSED) in html
    assert _issue(theirs, LEAD_NOT_OWNED) in html
    assert "Needs review (1)" in html
    assert _issue(review, "2 existing accounts match") in html
    review.refresh_from_db()
    assert review.state == LeadState.OPEN


def test_select_all_matching_qualifies_every_lead_of_the_view(sales_client, salesperson):
    mine = [LeadFactory(owner=salesperson) for _ in range(3)]
    not_in_view = LeadFactory()

    first = sales_client.post(URL, {"select_all_matching": "1", "view": "my_open"}, **HTMX)
    assert "Qualify 3 leads." in first.content.decode()
    assert 'name="select_all_matching" value="1"' in first.content.decode()

    sales_client.post(
        URL, {"select_all_matching": "1", "view": "my_open", "confirm": "1", **CREATE_ALL}, **HTMX
    )

    assert Lead.objects.filter(pk__in=[lead.pk for lead in mine], state="qualified").count() == 3
    not_in_view.refresh_from_db()
    assert not_in_view.state == LeadState.OPEN


def test_it_asks_to_select_leads_first(sales_client):
    response = sales_client.post(URL, {"view": "my_open", "q": ""}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert SELECT_LEADS_FIRST in html
    assert ">Qualify</button>" not in html


def test_it_rejects_get(sales_client):
    assert sales_client.get(URL).status_code == 405


def test_it_needs_a_signed_in_user(client, salesperson):
    lead = LeadFactory(owner=salesperson)

    response = _post(client, [lead], confirm="1", **CREATE_ALL)

    assert response.status_code == 302 and "/login/" in response.url
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_it_needs_a_csrf_token(salesperson):
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)
    lead = LeadFactory(owner=salesperson)

    response = _post(client, [lead], confirm="1", **CREATE_ALL)

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_without_js_the_dialog_is_a_page(sales_client, salesperson):
    lead = LeadFactory(owner=salesperson)

    response = _post(sales_client, [lead], htmx=False)

    html = response.content.decode()
    assert "<html" in html
    assert '<dialog data-modal aria-labelledby="bulk-qualify-title" open>' in html


def test_above_the_threshold_it_starts_a_background_job(sales_client, salesperson, settings):
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 2
    leads = [LeadFactory(owner=salesperson) for _ in range(3)]

    response = _post(sales_client, leads, confirm="1", create_account="on")

    job = BulkQualifyJob.objects.get()
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == _job_url(job)
    assert job.created_by == salesperson and job.total == 3
    assert (job.create_account, job.create_contact, job.create_opportunity) == (
        True,
        False,
        False,
    )
    assert job.lead_ids == [lead.pk for lead in leads]
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    assert not Lead.objects.exclude(state=LeadState.OPEN).exists()


def test_the_dialog_says_a_large_selection_runs_in_the_background(
    sales_client, salesperson, settings
):
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 2
    leads = [LeadFactory(owner=salesperson) for _ in range(3)]

    response = _post(sales_client, leads)

    assert "More than 2 leads: they are qualified in the background" in response.content.decode()


def test_without_js_a_background_job_redirects(sales_client, salesperson, settings):
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 1
    leads = [LeadFactory(owner=salesperson) for _ in range(2)]

    response = _post(sales_client, leads, htmx=False, confirm="1", **CREATE_ALL)

    assert response.status_code == 302
    assert response.url == _job_url(BulkQualifyJob.objects.get())


def _job_for(user, leads, **fields) -> BulkQualifyJob:
    ids = [lead.pk for lead in leads]
    return BulkQualifyJob.objects.create(created_by=user, lead_ids=ids, total=len(ids), **fields)


def test_the_job_page_polls_while_the_job_runs(sales_client, salesperson):
    job = _job_for(salesperson, [LeadFactory(owner=salesperson) for _ in range(4)])
    BulkQualifyJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING, processed=1)

    with job_lock_held_elsewhere(job):
        response = sales_client.get(_job_url(job))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="{_job_url(job, "bulk-job-progress")}" hx-trigger="every 1s"' in html
    assert '<progress value="1" max="4" aria-label="Progress">25%</progress>' in html
    assert "1 of 4 leads processed (25%)" in html
    assert "Resume" not in html


def test_the_progress_partial_stops_polling_when_done(sales_client, salesperson):
    closed = LeadFactory(owner=salesperson, disqualified=True)
    job = _job_for(
        salesperson,
        [closed, LeadFactory(owner=salesperson)],
        status=BulkJobStatus.DONE,
        processed=2,
        qualified_count=1,
        failures=[{"lead_id": closed.pk, "label": str(closed), "reason": LEAD_CLOSED}],
    )

    response = sales_client.get(_job_url(job, "bulk-job-progress"), **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="bulk-job-progress"')
    assert "hx-trigger" not in html
    assert "<strong>1 lead qualified</strong>; 1 not qualified." in html
    assert _issue(closed, LEAD_CLOSED) in html
    assert "leadsChanged" in _triggers(response)


def test_the_progress_partial_keeps_polling_while_queued(sales_client, salesperson):
    job = _job_for(salesperson, [LeadFactory(owner=salesperson)])

    response = sales_client.get(_job_url(job, "bulk-job-progress"), **HTMX)

    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "Waiting for the background worker" in response.content.decode()


def test_a_job_is_private_to_its_user_and_managers(client, salesperson, other_salesperson, manager):
    job = _job_for(salesperson, [LeadFactory(owner=salesperson)])

    client.force_login(other_salesperson)
    assert client.get(_job_url(job)).status_code == 404
    assert client.get(_job_url(job, "bulk-job-progress")).status_code == 404
    client.force_login(manager)
    assert client.get(_job_url(job)).status_code == 200


def test_a_failed_job_shows_its_error_and_resumes(sales_client, salesperson):
    job = _job_for(
        salesperson,
        [LeadFactory(owner=salesperson) for _ in range(2)],
        status=BulkJobStatus.FAILED,
        processed=1,
        error="OperationalError: server closed the connection",
    )
    page = sales_client.get(_job_url(job)).content.decode()
    assert "The bulk qualify stopped after 1 of 2 leads." in page
    assert "OperationalError: server closed the connection" in page
    assert ">Resume</button>" in page

    response = sales_client.post(_job_url(job), **HTMX)

    assert response.headers["HX-Redirect"] == _job_url(job)
    job.refresh_from_db()
    assert job.status == BulkJobStatus.QUEUED and job.error == ""
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"


def test_a_live_job_is_not_resumed(sales_client, salesperson):
    job = _job_for(salesperson, [LeadFactory(owner=salesperson)], status=BulkJobStatus.RUNNING)

    with job_lock_held_elsewhere(job):
        response = sales_client.post(_job_url(job))

    assert response.status_code == 200
    assert BULK_JOB_NOT_RESUMABLE in response.content.decode()
    job.refresh_from_db()
    assert job.status == BulkJobStatus.RUNNING and job.task_id == ""


def _stall(job: BulkQualifyJob) -> None:
    """No progress for BULK_JOB_STALLED_AFTER (what SQLite goes by; on PostgreSQL a job
    nobody holds the lock of has lost its worker at once)."""
    BulkQualifyJob.objects.filter(pk=job.pk).update(
        updated_at=job.updated_at - BULK_JOB_STALLED_AFTER - timedelta(seconds=5)
    )


def test_a_job_whose_worker_is_gone_offers_resume(sales_client, salesperson):
    job = _job_for(salesperson, [LeadFactory(owner=salesperson)], status=BulkJobStatus.RUNNING)
    _stall(job)

    page = sales_client.get(_job_url(job)).content.decode()

    assert "No worker is running this job: the background worker may have stopped." in page
    assert ">Resume</button>" in page

    response = sales_client.post(_job_url(job))

    assert (response.status_code, response["Location"]) == (302, _job_url(job))
    job.refresh_from_db()
    assert job.status == BulkJobStatus.QUEUED
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"


def test_a_job_whose_task_waits_in_the_queue_offers_no_resume(sales_client, salesperson, settings):
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 1
    _post(
        sales_client, [LeadFactory(owner=salesperson) for _ in range(2)], confirm="1", **CREATE_ALL
    )
    job = BulkQualifyJob.objects.get()
    _stall(job)

    page = sales_client.get(_job_url(job)).content.decode()

    assert "Waiting for the background worker" in page
    assert "Resume" not in page
    response = sales_client.post(_job_url(job))
    assert BULK_JOB_NOT_RESUMABLE in response.content.decode()
    assert DBTaskResult.objects.count() == 1


def test_the_result_says_what_the_leads_became_in_a_stable_order(sales_client, salesperson):
    AccountFactory(name="Known Co", website="")
    AccountFactory(name="Twice Co", website="")
    AccountFactory(name="Twice Co Ltd", website="")
    leads = [
        LeadFactory(owner=salesperson, company_name=name, website="", email="")
        for name in ("Known Co", "New Co", "New Co")
    ]
    review = LeadFactory(owner=salesperson, company_name="Twice Co", website="", email="")
    closed = LeadFactory(owner=salesperson, disqualified=True)

    html = _post(sales_client, [*leads, review, closed], confirm="1", **CREATE_ALL).content.decode()

    assert "<strong>3 leads qualified</strong>; 2 not qualified." in html
    assert "Accounts</a>: 1 created, 2 linked" in html
    assert "Contacts</a>: 3 created, 0 linked" in html
    assert "Opportunities</a>: 3 created" in html
    assert html.index("What the qualified leads became") < html.index("Needs review (1)")
    assert html.index("Needs review (1)") < html.index("Not qualified (1)")
    reason = (
        "2 existing accounts match “Twice Co”: open the lead to choose one "
        "(Twice Co: same name; Twice Co Ltd: same name)."
    )
    assert _issue(review, reason) in html


def test_a_large_selection_posted_twice_runs_one_job(sales_client, salesperson, settings):
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 2
    leads = [LeadFactory(owner=salesperson) for _ in range(3)]

    first = _post(sales_client, leads, confirm="1", **CREATE_ALL)
    second = _post(sales_client, leads, confirm="1", **CREATE_ALL)

    job = BulkQualifyJob.objects.get()
    assert first.headers["HX-Redirect"] == second.headers["HX-Redirect"] == _job_url(job)
    assert DBTaskResult.objects.count() == 1
