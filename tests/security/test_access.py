"""Who may send what: a missing CSRF token is refused (403) on every POST endpoint, every page and
endpoint needs a login, a salesperson can't use Django admin or change another salesperson's
leads and opportunities, and each endpoint refuses the HTTP methods it does not serve (405).
Every refused request changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from qualification.models import QualificationSettings
from tests.factories import DEFAULT_PASSWORD, TimelineEntryFactory
from tests.security.world import (
    World,
    lead_form_post,
    screen_post,
    snapshot,
    snapshot_diff,
    stage_form_post,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ADMIN_SETTINGS_FORM = {
    "experience": "legacy",
    "legacy_create_automatically": "on",
    "account_mode": "automatic",
    "contact_mode": "automatic",
    "opportunity_mode": "automatic",
    "detect_duplicates": "on",
    "match_account_by_name": "on",
}


@dataclass(frozen=True)
class Endpoint:
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    user: str = "sam"


def _lead(name: str, attr: str = "lead") -> Callable[[World], str]:
    return lambda w: reverse(f"leads:{name}", args=[getattr(w, attr).pk])


def _opportunity(name: str, attr: str = "opportunity") -> Callable[[World], str]:
    return lambda w: reverse(f"crm:{name}", args=[getattr(w, attr).pk])


def _record(name: str, attr: str) -> Callable[[World], str]:
    return lambda w: reverse(f"crm:{name}", args=[getattr(w, attr).pk])


def _named(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name)


def _settings_url(world: World) -> str:
    return reverse(
        "admin:qualification_qualificationsettings_change",
        args=[QualificationSettings.load().pk],
    )


def _job(attr: str) -> Callable[[World], str]:
    return lambda w: reverse("qualification:bulk-job-detail", args=[getattr(w, attr).pk])


# Every POST endpoint, with data it accepts: with a token, each of these writes.
POST_ENDPOINTS: dict[str, Endpoint] = {
    "lead-create": Endpoint(
        _named("leads:lead-create"), lambda w: {"topic": "T", "last_name": "L"}
    ),
    "lead-edit": Endpoint(_lead("lead-detail"), lambda w: lead_form_post(w.lead, topic="Edited")),
    "lead-stage-edit": Endpoint(
        _lead("lead-stage-edit"), lambda w: stage_form_post(w.lead, budget_amount="5")
    ),
    "lead-note-add": Endpoint(_lead("lead-note-add"), lambda w: {"note-title": "Called"}),
    "lead-disqualify": Endpoint(_lead("lead-disqualify"), lambda w: {"reason": "lost"}),
    "lead-reactivate": Endpoint(_lead("lead-reactivate", "disqualified_lead")),
    "lead-delete": Endpoint(_lead("lead-delete")),
    "lead-bulk-disqualify": Endpoint(
        _named("leads:lead-bulk-disqualify"),
        lambda w: {"lead_ids": [w.lead.pk], "view": "all", "reason": "lost"},
    ),
    "lead-bulk-reactivate": Endpoint(
        _named("leads:lead-bulk-reactivate"),
        lambda w: {"lead_ids": [w.disqualified_lead.pk], "view": "all"},
    ),
    "lead-bulk-delete": Endpoint(
        _named("leads:lead-bulk-delete"),
        lambda w: {"lead_ids": [w.lead.pk], "view": "all", "confirm": "1"},
    ),
    "lead-qualify": Endpoint(
        lambda w: reverse("qualification:lead-qualify", args=[w.lead.pk]),
        lambda w: screen_post(w.lead),
    ),
    "bulk-qualify": Endpoint(
        _named("qualification:bulk-qualify"),
        lambda w: {
            "lead_ids": [w.lead.pk],
            "view": "all",
            "confirm": "1",
            "create_account": "on",
            "create_contact": "on",
            "create_opportunity": "on",
        },
    ),
    "bulk-job-resume": Endpoint(_job("failed_job")),
    "opportunity-stage-edit": Endpoint(
        lambda w: reverse("crm:opportunity-stage-edit", args=[w.opportunity.pk, "develop"]),
        lambda w: {"customer_need": "Chairs for 40 people", "identify_stakeholders": "on"},
    ),
    "opportunity-stage-next": Endpoint(_opportunity("opportunity-stage-next")),
    "opportunity-stage-previous": Endpoint(
        _opportunity("opportunity-stage-previous", "close_opportunity")
    ),
    "opportunity-note-add": Endpoint(
        _opportunity("opportunity-note-add"), lambda w: {"note-title": "Sent the quote"}
    ),
    "opportunity-edit": Endpoint(
        _opportunity("opportunity-edit"), lambda w: {"topic": "Renamed", "need": "must_have"}
    ),
    "opportunity-close": Endpoint(
        lambda w: reverse("crm:opportunity-close", args=[w.opportunity.pk, "won"]),
        lambda w: {
            "status_reason": "won",
            "actual_revenue": "100",
            "actual_close_date": "2026-03-03",
        },
    ),
    "opportunity-reopen": Endpoint(_opportunity("opportunity-reopen", "won_opportunity")),
    "account-create": Endpoint(_named("crm:account-create"), lambda w: {"name": "New Co"}),
    "account-edit": Endpoint(_record("account-edit", "sam_account"), lambda w: {"name": "Re"}),
    "account-delete": Endpoint(_record("account-delete", "sam_account")),
    "account-note-add": Endpoint(
        _record("account-note-add", "sam_account"), lambda w: {"note-title": "Met"}
    ),
    "account-merge": Endpoint(
        _named("crm:account-merge"), lambda w: {"ids": [w.sam_account.pk, w.sam_duplicate.pk]}
    ),
    "contact-create": Endpoint(_named("crm:contact-create"), lambda w: {"last_name": "New"}),
    "contact-edit": Endpoint(_record("contact-edit", "sam_contact"), lambda w: {"last_name": "Re"}),
    "contact-delete": Endpoint(_record("contact-delete", "sam_contact")),
    "contact-note-add": Endpoint(
        _record("contact-note-add", "sam_contact"), lambda w: {"note-title": "Met"}
    ),
    "contact-merge": Endpoint(
        _named("crm:contact-merge"),
        lambda w: {"ids": [w.sam_contact.pk, w.sam_duplicate_contact.pk]},
    ),
    "admin-settings": Endpoint(_settings_url, lambda w: dict(ADMIN_SETTINGS_FORM), user="admin"),
    "api-token-create": Endpoint(_named("api-tokens:list"), lambda w: {"name": "Script"}),
}


def csrf_client(world: World, user: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(getattr(world, user))
    return client


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS.values(), ids=POST_ENDPOINTS.keys())
def test_it_refuses_a_post_without_a_csrf_token(endpoint: Endpoint, world: World) -> None:
    client = csrf_client(world, endpoint.user)
    before = snapshot()

    response = client.post(endpoint.url(world), endpoint.data(world), **HX)

    assert response.status_code == 403
    assert snapshot_diff(before, snapshot()) == []

    # The control: the same request with the token goes through, so the token is what stopped it.
    client.get(reverse("leads:lead-list"))
    token = client.cookies["csrftoken"].value
    response = client.post(endpoint.url(world), endpoint.data(world), **HX, HTTP_X_CSRFTOKEN=token)
    assert response.status_code != 403
    assert snapshot_diff(before, snapshot()) != []


def test_it_refuses_sign_in_and_sign_out_without_a_csrf_token(world: World) -> None:
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(reverse("login"), {"username": "sam", "password": "x"})
    assert response.status_code == 403

    signed_in = csrf_client(world, "sam")
    response = signed_in.post(reverse("logout"))
    assert response.status_code == 403
    assert signed_in.session["_auth_user_id"] == str(world.sam.pk)


# Login required ---------------------------------------------------------------------------------


def _attachment_url(world: World) -> str:
    entry = TimelineEntryFactory(record=world.lead, author=world.sam)
    return reverse("crm:timeline-attachment", args=[entry.pk])


def _qualified_page_url(world: World) -> str:
    qualification = world.qualified_lead.qualifications.get()
    return reverse("qualification:lead-qualified", args=[world.qualified_lead.pk, qualification.pk])


GET_PAGES: dict[str, Callable[[World], str]] = {
    "home": _named("home"),
    "lead-list": _named("leads:lead-list"),
    "lead-create": _named("leads:lead-create"),
    "lead-detail": _lead("lead-detail"),
    "lead-stage-edit": _lead("lead-stage-edit"),
    "lead-disqualify": _lead("lead-disqualify"),
    "lead-delete": _lead("lead-delete"),
    "lead-duplicates": _lead("lead-duplicates"),
    "lead-lookup": lambda w: reverse("leads:lead-lookup", args=["account"]),
    "lead-qualify": lambda w: reverse("qualification:lead-qualify", args=[w.lead.pk]),
    "qualify-opportunity-form": lambda w: reverse(
        "qualification:qualify-opportunity-form", args=[w.lead.pk]
    ),
    "qualify-record-search": lambda w: reverse(
        "qualification:qualify-record-search", args=[w.lead.pk, "account"]
    ),
    "qualify-merge-preview": lambda w: reverse(
        "qualification:qualify-merge-preview", args=[w.lead.pk, "account"]
    ),
    "lead-qualified": _qualified_page_url,
    "bulk-job-detail": _job("failed_job"),
    "bulk-job-progress": lambda w: reverse(
        "qualification:bulk-job-progress", args=[w.failed_job.pk]
    ),
    "account-list": _named("crm:account-list"),
    "account-detail": lambda w: w.account.get_absolute_url(),
    "contact-list": _named("crm:contact-list"),
    "contact-detail": lambda w: w.contact.get_absolute_url(),
    "opportunity-list": _named("crm:opportunity-list"),
    "opportunity-detail": lambda w: w.opportunity.get_absolute_url(),
    "opportunity-stage-edit": lambda w: reverse(
        "crm:opportunity-stage-edit", args=[w.opportunity.pk, "develop"]
    ),
    "timeline-attachment": _attachment_url,
    "opportunity-edit": _opportunity("opportunity-edit"),
    "opportunity-close": lambda w: reverse("crm:opportunity-close", args=[w.opportunity.pk, "won"]),
    "account-create": _named("crm:account-create"),
    "account-edit": _record("account-edit", "sam_account"),
    "account-delete": _record("account-delete", "sam_account"),
    "account-merge": _named("crm:account-merge"),
    "account-options": _named("crm:account-options"),
    "contact-create": _named("crm:contact-create"),
    "contact-edit": _record("contact-edit", "sam_contact"),
    "contact-delete": _record("contact-delete", "sam_contact"),
    "contact-merge": _named("crm:contact-merge"),
    "insights": _named("insights:overview"),
    "api-tokens": _named("api-tokens:list"),
}


@pytest.mark.parametrize("page_url", GET_PAGES.values(), ids=GET_PAGES.keys())
def test_it_sends_anonymous_visitors_to_the_login_page(
    page_url, world: World, client: Client
) -> None:
    path = page_url(world)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS.values(), ids=POST_ENDPOINTS.keys())
def test_it_sends_anonymous_posts_to_the_login_page(
    endpoint: Endpoint, world: World, client: Client
) -> None:
    path = endpoint.url(world)
    before = snapshot()

    response = client.post(path, endpoint.data(world))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"
    assert snapshot_diff(before, snapshot()) == []


def test_the_login_page_itself_needs_no_login(client: Client) -> None:
    assert client.get(reverse("login")).status_code == 200


# Django admin -----------------------------------------------------------------------------------


def admin_pages() -> dict[str, Callable[[World], str]]:
    """The admin index and the list and add page of every registered model."""
    pages: dict[str, Callable[[World], str]] = {"index": _named("admin:index")}
    for model in admin.site._registry:
        name = f"{model._meta.app_label}_{model._meta.model_name}"
        pages[f"{name}-list"] = _named(f"admin:{name}_changelist")
    pages["qualification-settings-change"] = _settings_url
    pages["lead-change"] = lambda w: reverse("admin:leads_lead_change", args=[w.lead.pk])
    return pages


ADMIN_PAGES = admin_pages()


@pytest.mark.parametrize("page_url", ADMIN_PAGES.values(), ids=ADMIN_PAGES.keys())
def test_it_keeps_salespeople_out_of_django_admin(page_url, world: World, client: Client) -> None:
    client.force_login(world.sam)
    path = page_url(world)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={path}"


@pytest.mark.parametrize("page_url", ADMIN_PAGES.values(), ids=ADMIN_PAGES.keys())
def test_it_lets_staff_into_django_admin(page_url, world: World, client: Client) -> None:
    client.force_login(world.admin)

    response = client.get(page_url(world), follow=True)

    assert response.status_code == 200
    assert 'id="user-tools"' in response.content.decode()


def test_it_refuses_a_salespersons_post_to_the_admin_settings(world: World, client: Client) -> None:
    client.force_login(world.sam)
    before = snapshot()

    response = client.post(_settings_url(world), ADMIN_SETTINGS_FORM)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('admin:login')}?next=")
    assert snapshot_diff(before, snapshot()) == []


def test_it_refuses_a_salespersons_admin_delete_of_a_lead(world: World, client: Client) -> None:
    client.force_login(world.sam)
    before = snapshot()

    response = client.post(
        reverse("admin:leads_lead_delete", args=[world.lead.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert snapshot_diff(before, snapshot()) == []


# Another salesperson's lead, opportunity and job ------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def _others_qualified_page_url(world: World) -> str:
    from qualification.engine import lead_qualify

    lead = world.others_lead
    result = lead_qualify(lead_id=lead.pk, acting_user=world.olga)
    return reverse("qualification:lead-qualified", args=[lead.pk, result.qualification.pk])


OTHERS: dict[str, Request] = {
    "edit": Request(
        "post", _lead("lead-detail", "others_lead"), lambda w: lead_form_post(w.others_lead)
    ),
    "stage-edit": Request(
        "post",
        _lead("lead-stage-edit", "others_lead"),
        lambda w: stage_form_post(w.others_lead, budget_amount="1"),
    ),
    "note-add": Request(
        "post", _lead("lead-note-add", "others_lead"), lambda w: {"note-title": "Mine"}
    ),
    "disqualify-dialog": Request("get", _lead("lead-disqualify", "others_lead")),
    "disqualify": Request(
        "post", _lead("lead-disqualify", "others_lead"), lambda w: {"reason": "lost"}
    ),
    "reactivate": Request("post", _lead("lead-reactivate", "others_closed_lead")),
    "delete-dialog": Request("get", _lead("lead-delete", "others_lead")),
    "delete": Request("post", _lead("lead-delete", "others_lead")),
    "qualify-screen": Request(
        "get", lambda w: reverse("qualification:lead-qualify", args=[w.others_lead.pk])
    ),
    "qualify": Request(
        "post",
        lambda w: reverse("qualification:lead-qualify", args=[w.others_lead.pk]),
        lambda w: screen_post(w.others_lead),
    ),
    "qualify-opportunity-form": Request(
        "get",
        lambda w: reverse("qualification:qualify-opportunity-form", args=[w.others_lead.pk]),
    ),
    "qualify-record-search": Request(
        "get",
        lambda w: reverse(
            "qualification:qualify-record-search", args=[w.others_lead.pk, "account"]
        ),
    ),
    "qualify-merge-preview": Request(
        "get",
        lambda w: reverse(
            "qualification:qualify-merge-preview", args=[w.others_lead.pk, "account"]
        ),
    ),
    "lead-qualified-page": Request("get", _others_qualified_page_url),
    "bulk-job-detail": Request("get", _job("others_job")),
    "bulk-job-progress": Request(
        "get", lambda w: reverse("qualification:bulk-job-progress", args=[w.others_job.pk])
    ),
    "bulk-job-resume": Request("post", _job("others_job")),
    "opportunity-stage-edit": Request(
        "post",
        lambda w: reverse("crm:opportunity-stage-edit", args=[w.others_opportunity.pk, "develop"]),
        lambda w: {"customer_need": "Mine"},
    ),
    "opportunity-stage-next": Request(
        "post", _opportunity("opportunity-stage-next", "others_opportunity")
    ),
    "opportunity-stage-previous": Request(
        "post", _opportunity("opportunity-stage-previous", "others_opportunity")
    ),
    "opportunity-note-add": Request(
        "post",
        _opportunity("opportunity-note-add", "others_opportunity"),
        lambda w: {"note-title": "Mine"},
    ),
    "opportunity-edit-form": Request("get", _opportunity("opportunity-edit", "others_opportunity")),
    "opportunity-edit": Request(
        "post",
        _opportunity("opportunity-edit", "others_opportunity"),
        lambda w: {"topic": "Mine"},
    ),
    "opportunity-close-dialog": Request(
        "get",
        lambda w: reverse("crm:opportunity-close", args=[w.others_opportunity.pk, "won"]),
    ),
    "opportunity-close": Request(
        "post",
        lambda w: reverse("crm:opportunity-close", args=[w.others_opportunity.pk, "lost"]),
        lambda w: {"status_reason": "canceled", "actual_close_date": "2026-03-03"},
    ),
    "account-edit-form": Request("get", _record("account-edit", "account")),
    "account-edit": Request("post", _record("account-edit", "account"), lambda w: {"name": "Mine"}),
    "account-delete-dialog": Request("get", _record("account-delete", "account")),
    "account-delete": Request("post", _record("account-delete", "account")),
    "account-note-add": Request(
        "post", _record("account-note-add", "account"), lambda w: {"note-title": "Mine"}
    ),
    "contact-edit": Request(
        "post", _record("contact-edit", "contact"), lambda w: {"last_name": "Mine"}
    ),
    "contact-delete": Request("post", _record("contact-delete", "contact")),
    "contact-note-add": Request(
        "post", _record("contact-note-add", "contact"), lambda w: {"note-title": "Mine"}
    ),
}


@pytest.mark.parametrize("request_", OTHERS.values(), ids=OTHERS.keys())
def test_it_refuses_changes_to_another_salespersons_records(
    request_: Request, world: World, client: Client
) -> None:
    client.force_login(world.sam)
    url = request_.url(world)
    before = snapshot()

    for headers in ({}, HX):
        response = getattr(client, request_.method)(url, request_.data(world), **headers)

        assert response.status_code in (403, 404)
    assert snapshot_diff(before, snapshot()) == []


# Methods ----------------------------------------------------------------------------------------

POST_ONLY: dict[str, Callable[[World], str]] = {
    "lead-note-add": _lead("lead-note-add"),
    "lead-reactivate": _lead("lead-reactivate", "disqualified_lead"),
    "lead-bulk-disqualify": _named("leads:lead-bulk-disqualify"),
    "lead-bulk-reactivate": _named("leads:lead-bulk-reactivate"),
    "lead-bulk-delete": _named("leads:lead-bulk-delete"),
    "lead-bulk-duplicates": _named("leads:lead-bulk-duplicates"),
    "bulk-qualify": _named("qualification:bulk-qualify"),
    "opportunity-stage-next": _opportunity("opportunity-stage-next"),
    "opportunity-stage-previous": _opportunity("opportunity-stage-previous", "close_opportunity"),
    "opportunity-note-add": _opportunity("opportunity-note-add"),
    "opportunity-reopen": _opportunity("opportunity-reopen", "won_opportunity"),
    "account-note-add": _record("account-note-add", "sam_account"),
    "contact-note-add": _record("contact-note-add", "sam_contact"),
    "logout": _named("logout"),
}


@pytest.mark.parametrize("page_url", POST_ONLY.values(), ids=POST_ONLY.keys())
def test_it_refuses_get_on_post_only_endpoints(page_url, world: World, client: Client) -> None:
    client.force_login(world.sam)
    before = snapshot()

    response = client.get(page_url(world))

    assert response.status_code == 405
    allowed = {method.strip() for method in response["Allow"].split(",")}
    assert "POST" in allowed and "GET" not in allowed
    assert snapshot_diff(before, snapshot()) == []


GET_ONLY = {
    key: GET_PAGES[key]
    for key in (
        "lead-list",
        "lead-lookup",
        "qualify-opportunity-form",
        "qualify-record-search",
        "qualify-merge-preview",
        "lead-qualified",
        "bulk-job-progress",
        "account-list",
        "account-detail",
        "contact-list",
        "contact-detail",
        "opportunity-list",
        "opportunity-detail",
        "timeline-attachment",
        "account-options",
    )
}


@pytest.mark.parametrize("page_url", GET_ONLY.values(), ids=GET_ONLY.keys())
def test_it_refuses_post_on_read_only_pages(page_url, world: World, client: Client) -> None:
    client.force_login(world.sam)
    path = page_url(world)
    before = snapshot()

    response = client.post(path, {"topic": "x"})

    assert response.status_code == 405
    assert snapshot_diff(before, snapshot()) == []


GET_AND_POST = {
    key: GET_PAGES[key]
    for key in (
        "lead-create",
        "lead-detail",
        "lead-stage-edit",
        "lead-disqualify",
        "lead-delete",
        "lead-duplicates",
        "lead-qualify",
        "bulk-job-detail",
        "opportunity-stage-edit",
        "opportunity-edit",
        "opportunity-close",
        "account-create",
        "account-edit",
        "account-delete",
        "account-merge",
        "contact-create",
        "contact-edit",
        "contact-delete",
        "contact-merge",
        "api-tokens",
    )
}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("page_url", GET_AND_POST.values(), ids=GET_AND_POST.keys())
def test_it_refuses_other_methods(page_url, method: str, world: World, client: Client) -> None:
    client.force_login(world.sam)
    before = snapshot()

    response = getattr(client, method)(page_url(world))

    assert response.status_code == 405
    assert snapshot_diff(before, snapshot()) == []


# Redirects after sign-in ------------------------------------------------------------------------

OFF_SITE = ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_it_never_sends_a_signed_in_user_off_site(target: str, world: World) -> None:
    client = Client()

    response = client.post(
        reverse("login"),
        {"username": world.sam.username, "password": DEFAULT_PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead-list")
