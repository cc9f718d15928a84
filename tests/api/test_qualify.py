"""Qualify through the API: the flags, per-record decisions, the duplicate policies, refusals;
bulk qualify and its job; disqualify and reactivate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection

from api.endpoints.qualify import FLAGS_OR_DECISIONS
from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadState
from leads.services.errors import (
    DISQUALIFY_REASON_INVALID,
    LEAD_CLOSED,
    LEAD_HAS_OPPORTUNITY,
    LEAD_NOT_CLOSED,
    LEAD_NOT_YOURS,
)
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    LEAD_NOT_OWNED,
    TOO_MANY_OPPORTUNITIES,
)
from qualification.engine.errors import DUPLICATES_FOUND
from qualification.models import BulkQualifyJob, DuplicateDecision, Qualification
from tests.api.conftest import ApiClient, problem
from tests.factories import AccountFactory, LeadFactory, QualificationSettingsFactory


@pytest.fixture
def lead(salesperson: User) -> Lead:
    return LeadFactory(
        owner=salesperson,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        company_name="Fabrikam, Inc.",
        email="nina.novak@fabrikam.example",
        website="https://www.fabrikam.example",
    )


@pytest.fixture
def fabrikam(other_salesperson: User) -> Account:
    return AccountFactory(name="Fabrikam Inc", website="https://fabrikam.example", city="Redmond")


def test_qualify_as_the_settings_say(api: ApiClient, lead: Lead) -> None:
    response = api.post(f"/leads/{lead.pk}/qualify")
    assert response.status_code == 200, response.content
    body = response.json()
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert body["lead"]["state"] == "qualified"
    assert body["account"] == {
        "id": lead.parent_account_id,
        "name": "Fabrikam, Inc.",
        "created": True,
    }
    assert body["contact"]["id"] == lead.parent_contact_id
    assert body["opportunity_ids"] == [lead.qualifying_opportunity_id]
    assert Qualification.objects.get(lead=lead).pk == body["qualification_id"]


def test_the_references_flags(api: ApiClient, lead: Lead) -> None:
    response = api.post(
        f"/leads/{lead.pk}/qualify", {"create_contact": True, "create_opportunity": False}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account"] is None and body["opportunity_ids"] == []
    assert Contact.objects.get().pk == body["contact"]["id"]
    assert not Account.objects.exists() and not Opportunity.objects.exists()


def test_per_record_decisions_with_five_opportunities(api: ApiClient, lead: Lead) -> None:
    QualificationSettingsFactory(opportunity_mode="salesperson", allow_multiple_opportunities=True)
    account = AccountFactory(name="Northwind")
    response = api.post(
        f"/leads/{lead.pk}/qualify",
        {
            "account": {"action": "existing", "id": account.pk},
            "contact": {"action": "skip"},
            "opportunities": [
                {"topic": f"Deal {n}", "estimated_revenue": "1000"} for n in range(5)
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account"] == {"id": account.pk, "name": "Northwind", "created": False}
    assert body["contact"] is None
    topics = Opportunity.objects.filter(pk__in=body["opportunity_ids"]).values_list(
        "topic", flat=True
    )
    assert sorted(topics) == [f"Deal {n}" for n in range(5)]


def test_more_opportunities_than_allowed(api: ApiClient, lead: Lead) -> None:
    response = api.post(
        f"/leads/{lead.pk}/qualify", {"opportunities": [{"topic": "A"}, {"topic": "B"}]}
    )
    assert response.status_code == 422
    assert problem(response)["errors"][0]["message"] == TOO_MANY_OPPORTUNITIES.format(max=1)
    six = api.post(f"/leads/{lead.pk}/qualify", {"opportunities": [{"topic": "A"}] * 6})
    assert six.status_code == 422
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN


def test_bad_values_come_back_per_field(api: ApiClient, lead: Lead) -> None:
    response = api.post(
        f"/leads/{lead.pk}/qualify", {"opportunities": [{"topic": "", "budget_amount": "-1"}]}
    )
    assert response.status_code == 422
    fields = {(e["record"], e["position"], e["field"]) for e in problem(response)["errors"]}
    assert ("opportunity", 0, "topic") in fields
    assert ("opportunity", 0, "budget_amount") in fields
    assert not Opportunity.objects.exists()


def test_flags_and_decisions_together_are_refused(api: ApiClient, lead: Lead) -> None:
    response = api.post(
        f"/leads/{lead.pk}/qualify", {"create_account": True, "contact": {"action": "skip"}}
    )
    assert response.status_code == 422
    assert problem(response)["detail"] == FLAGS_OR_DECISIONS


def test_ask_answers_409_with_the_matches(api: ApiClient, lead: Lead, fabrikam: Account) -> None:
    response = api.post(f"/leads/{lead.pk}/qualify", {"duplicates": "ask"})
    assert response.status_code == 409
    body = problem(response)
    assert body["detail"] == DUPLICATES_FOUND
    assert [match["id"] for match in body["matches"]["accounts"]] == [fabrikam.pk]
    assert body["matches"]["accounts"][0]["city"] == "Redmond"
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN
    assert Account.objects.count() == 1
    # Handling it: use the match.
    again = api.post(
        f"/leads/{lead.pk}/qualify",
        {"account": {"action": "existing", "id": fabrikam.pk}, "contact": {"action": "create"}},
    )
    assert again.status_code == 200, again.content
    assert again.json()["account"]["id"] == fabrikam.pk


def test_link_links_the_single_match(api: ApiClient, lead: Lead, fabrikam: Account) -> None:
    response = api.post(f"/leads/{lead.pk}/qualify", {"duplicates": "link"})
    assert response.status_code == 200, response.content
    assert response.json()["account"] == {
        "id": fabrikam.pk,
        "name": "Fabrikam Inc",
        "created": False,
    }
    assert Qualification.objects.get().account_duplicates == DuplicateDecision.LINKED


def test_link_with_several_matches_is_409(api: ApiClient, lead: Lead, fabrikam: Account) -> None:
    AccountFactory(name="FABRIKAM")
    response = api.post(f"/leads/{lead.pk}/qualify", {"duplicates": "link"})
    assert response.status_code == 409
    assert "existing accounts match" in problem(response)["detail"]


def test_create_creates_anyway(api: ApiClient, lead: Lead, fabrikam: Account) -> None:
    response = api.post(f"/leads/{lead.pk}/qualify", {"duplicates": "create"})
    assert response.status_code == 200, response.content
    assert response.json()["account"]["created"] is True
    assert Qualification.objects.get().account_duplicates == DuplicateDecision.CREATED_ANYWAY


def test_another_users_lead_is_refused(api: ApiClient) -> None:
    theirs = LeadFactory()
    response = api.post(f"/leads/{theirs.pk}/qualify")
    assert response.status_code == 403
    assert problem(response)["detail"] == LEAD_NOT_OWNED
    assert Lead.objects.get(pk=theirs.pk).state == LeadState.OPEN


def test_a_qualified_lead_is_refused(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True)
    response = api.post(f"/leads/{lead.pk}/qualify")
    assert response.status_code == 409
    assert problem(response)["detail"] == LEAD_ALREADY_QUALIFIED
    closed = LeadFactory(owner=salesperson, disqualified=True)
    assert problem(api.post(f"/leads/{closed.pk}/qualify"))["detail"] == LEAD_CLOSED


def test_qualify_a_missing_lead(api: ApiClient) -> None:
    assert api.post("/leads/424242/qualify").status_code == 404


def test_bad_decision_input(api: ApiClient, lead: Lead) -> None:
    for body in (
        {"account": {"action": "adopt"}},
        {"duplicates": "maybe"},
        {"opportunities": "many"},
        {"account": {"action": "existing", "id": 0}},
    ):
        response = api.post(f"/leads/{lead.pk}/qualify", body)
        assert response.status_code == 422, body
        assert problem(response)["errors"]


# Bulk -------------------------------------------------------------------------------------


def test_bulk_qualify_answers_per_lead(api: ApiClient, salesperson: User) -> None:
    one, two = LeadFactory.create_batch(2, owner=salesperson)
    theirs = LeadFactory()
    response = api.post(
        "/leads/qualify",
        {"lead_ids": [two.pk, theirs.pk, one.pk, 999999], "create_opportunity": False},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["qualified"] == 2 and body["failed"] == 2
    assert body["opportunities_created"] == 0
    assert [(row["lead_id"], row["status"]) for row in body["results"]] == [
        (two.pk, "qualified"),
        (theirs.pk, "failed"),
        (one.pk, "qualified"),
        (999999, "failed"),
    ]
    assert body["results"][1]["reason"] == LEAD_NOT_OWNED


@pytest.mark.parametrize("count", [5, 20])
def test_bulk_qualify_queries_do_not_grow_with_the_selection(
    api: ApiClient, salesperson: User, django_assert_num_queries, count: int
) -> None:
    ids = [lead.pk for lead in LeadFactory.create_batch(count, owner=salesperson)]
    # Warm: the token's last_used_at (written once a minute) and the content types' cache.
    api.post("/leads/qualify", {"lead_ids": [LeadFactory(owner=salesperson).pk]})
    # Token, then the bulk path's chunk (the settings, the mappings, the locked leads, the
    # matches, one INSERT per table), the same for 5 and 20 leads.
    with django_assert_num_queries(BULK_QUERIES):
        response = api.post("/leads/qualify", {"lead_ids": ids})
    assert response.json()["qualified"] == count


# PostgreSQL takes the duplicate-check advisory locks in one statement more.
BULK_QUERIES = {"sqlite": 16, "postgresql": 17}[connection.vendor]


def test_bulk_above_the_threshold_is_a_job(api: ApiClient, salesperson: User, settings) -> None:
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 2
    ids = [lead.pk for lead in LeadFactory.create_batch(3, owner=salesperson)]
    response = api.post("/leads/qualify", {"lead_ids": ids})
    assert response.status_code == 202, response.content
    job = BulkQualifyJob.objects.get()
    assert response["Location"] == f"/api/v1/jobs/{job.pk}"
    assert response.json()["status"] == "queued"
    followed = api.get(f"/jobs/{job.pk}")
    assert followed.status_code == 200
    assert followed.json()["total"] == 3


def test_another_users_job_is_404(
    api: ApiClient, other_api: ApiClient, salesperson, settings
) -> None:
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 1
    ids = [lead.pk for lead in LeadFactory.create_batch(2, owner=salesperson)]
    url = api.post("/leads/qualify", {"lead_ids": ids}).json()["url"]
    assert (
        other_api.client.get(
            url, headers={"Authorization": f"Bearer {other_api.token}"}
        ).status_code
        == 404
    )


def test_bulk_bad_input(api: ApiClient) -> None:
    for body in ({"lead_ids": []}, {"lead_ids": ["x"]}, {}):
        assert api.post("/leads/qualify", body).status_code == 422, body


# Disqualify, reactivate ---------------------------------------------------------------------


def test_disqualify_with_a_status_reason(api: ApiClient, lead: Lead) -> None:
    response = api.post(f"/leads/{lead.pk}/disqualify", {"status_reason": "cannot_contact"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "disqualified"
    assert response.json()["status_reason"] == "cannot_contact"


def test_disqualify_refusals(api: ApiClient, lead: Lead) -> None:
    bad = api.post(f"/leads/{lead.pk}/disqualify", {"status_reason": "bored"})
    assert bad.status_code == 422
    assert problem(bad)["detail"] == DISQUALIFY_REASON_INVALID
    theirs = LeadFactory()
    refused = api.post(f"/leads/{theirs.pk}/disqualify", {"status_reason": "lost"})
    assert refused.status_code == 403
    assert problem(refused)["detail"] == LEAD_NOT_YOURS
    assert api.post("/leads/999999/disqualify", {"status_reason": "lost"}).status_code == 404
    api.post(f"/leads/{lead.pk}/qualify")
    lead.refresh_from_db()
    lead.state = LeadState.OPEN
    lead.status_reason = "new"
    lead.save()
    with_opportunity = api.post(f"/leads/{lead.pk}/disqualify", {"status_reason": "lost"})
    assert problem(with_opportunity)["detail"] == LEAD_HAS_OPPORTUNITY


def test_reactivate(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, disqualified=True)
    response = api.post(f"/leads/{lead.pk}/reactivate")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["status_reason"]) == ("open", "new")
    again = api.post(f"/leads/{lead.pk}/reactivate")
    assert again.status_code == 409
    assert problem(again)["detail"] == LEAD_NOT_CLOSED
    theirs = LeadFactory(disqualified=True)
    assert api.post(f"/leads/{theirs.pk}/reactivate").status_code == 403
