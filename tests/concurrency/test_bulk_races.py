"""Races on bulk qualifies: two overlapping selections at once, a bulk qualify racing single
qualifies and disqualifies of its leads, and two disjoint selections of the same companies
and people (the match-key locks make the second one link the first one's records)."""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Count

from crm.models import Account, Contact, Opportunity
from leads import services as lead_services
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.services import lead_disqualify
from qualification import duplicates
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    BulkOptions,
    BulkQualifyOutcome,
    LeadAlreadyQualifiedError,
    bulk,
    lead_qualify,
    leads_bulk_qualify,
)
from qualification.models import Qualification, QualificationOpportunity
from tests.concurrency.tools import Rendezvous, run_together
from tests.factories import LeadFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]

ALL = {"create_account": True, "create_contact": True, "create_opportunity": True}
LEADS = 450
COMPANIES = 150
PEOPLE = 225


def _people_leads(owner: Any, count: int = LEADS) -> list[Lead]:
    """450 leads by default; every company recurs every 150 leads and every person (name and
    email) every 225, so the selections 0-299 and 150-449 share all companies and many people."""
    leads = [
        LeadFactory.build(
            owner=owner,
            topic=f"Deal {n}",
            company_name=f"Company {n % COMPANIES} Ltd",
            website="",
            first_name=f"Pat{n % PEOPLE}",
            last_name="Doe",
            email=f"pat{n % PEOPLE}@people.example",
        )
        for n in range(count)
    ]
    return Lead.objects.bulk_create(leads)


def assert_no_lead_qualified_twice() -> None:
    twice = (
        Qualification.objects.values("lead")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
        .values_list("lead", flat=True)
    )
    assert not twice, f"leads qualified more than once: {list(twice)}"


def assert_no_duplicate_records() -> None:
    accounts = Counter(Account.objects.values_list("normalized_name", flat=True))
    contacts = Counter(Contact.objects.values_list("email_normalized", flat=True))
    assert [name for name, count in accounts.items() if count > 1] == []
    assert [email for email, count in contacts.items() if count > 1] == []


@pytest.mark.parametrize(
    "chunk_size", [bulk.BULK_QUALIFY_CHUNK_SIZE, 100], ids=["one-chunk-each", "three-chunks-each"]
)
def test_two_overlapping_bulk_qualifies_qualify_every_lead_once(monkeypatch, chunk_size):
    """Leads 0-299 and 150-449 at once. Chunks that share leads queue on their lead rows
    (locked in id order); chunks that share only companies or people queue on the match-key
    locks. Neither order deadlocks, and each chunk sees what the other committed."""
    monkeypatch.setattr(bulk, "BULK_QUALIFY_CHUNK_SIZE", chunk_size)
    owner = UserFactory()
    ids = [lead.pk for lead in _people_leads(owner)]
    first, second = ids[:300], ids[150:]

    outcomes = run_together(
        partial(leads_bulk_qualify, lead_ids=first, acting_user=owner, options=BulkOptions()),
        partial(leads_bulk_qualify, lead_ids=second, acting_user=owner, options=BulkOptions()),
    )

    # A deadlock (or any other database error) is a failure, not a retry.
    assert [outcome.error for outcome in outcomes] == [None, None]
    results: list[BulkQualifyOutcome] = [outcome.value for outcome in outcomes]
    qualified = [lead_id for result in results for lead_id in result.qualified_ids]
    assert sorted(qualified) == sorted(ids)
    refused = [issue for result in results for issue in result.failures]
    assert {issue.reason for issue in refused} <= {LEAD_ALREADY_QUALIFIED}
    # Only the 150 leads both selections hold are refused, each by the selection that lost.
    assert sorted(issue.lead_id for issue in refused) == ids[150:300]
    assert [result.needs_review for result in results] == [[], []]

    assert_no_lead_qualified_twice()
    assert Qualification.objects.count() == LEADS
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == LEADS
    assert_no_duplicate_records()
    assert Account.objects.count() == COMPANIES
    assert Contact.objects.count() == PEOPLE
    assert Opportunity.objects.count() == QualificationOpportunity.objects.count() == LEADS
    assert LeadOrigin.objects.count() == COMPANIES + PEOPLE + LEADS
    # Every lead points at the one account of its company and the one contact of its person.
    for lead in Lead.objects.select_related("parent_account", "parent_contact"):
        assert lead.parent_account.name == lead.company_name
        assert lead.parent_contact.email == lead.email


def test_a_bulk_qualify_racing_single_qualifies_and_disqualifies_leaves_one_winner():
    owner = UserFactory()
    leads = _people_leads(owner, 60)
    targets = leads[::6]
    singles = []
    for position, lead in enumerate(targets):
        if position % 2:
            singles.append(partial(lead_qualify, lead_id=lead.pk, acting_user=owner))
        else:
            singles.append(
                partial(lead_disqualify, lead=lead, reason=LeadStatus.LOST, acting_user=owner)
            )

    outcomes = run_together(
        partial(
            leads_bulk_qualify,
            lead_ids=[lead.pk for lead in leads],
            acting_user=owner,
            options=BulkOptions(),
        ),
        *singles,
    )

    assert outcomes[0].error is None, outcomes[0].error
    result: BulkQualifyOutcome = outcomes[0].value
    refused_by_bulk = {issue.lead_id: issue.reason for issue in result.failures}
    assert result.needs_review == []
    for position, (lead, outcome) in enumerate(zip(targets, outcomes[1:], strict=True)):
        lead.refresh_from_db()
        single_won = outcome.error is None
        bulk_won = lead.pk in result.qualified_ids
        assert single_won != bulk_won, (lead.pk, outcome.error, refused_by_bulk.get(lead.pk))
        if bulk_won:
            # The single call came second and was refused with its own domain error.
            expected = LeadAlreadyQualifiedError if position % 2 else lead_services.LeadClosedError
            assert type(outcome.error) is expected, outcome.error
        else:
            assert refused_by_bulk[lead.pk] == (
                LEAD_ALREADY_QUALIFIED if position % 2 else LEAD_CLOSED
            )
        if lead.state == LeadState.DISQUALIFIED:
            assert not Qualification.objects.filter(lead=lead).exists()
            assert not LeadOrigin.objects.filter(lead=lead).exists()
            assert lead.parent_account_id is None and lead.qualifying_opportunity_id is None
        else:
            assert lead.state == LeadState.QUALIFIED
            assert Qualification.objects.filter(lead=lead).count() == 1
            assert lead.qualifying_opportunity_id is not None
    assert_no_lead_qualified_twice()
    assert Lead.objects.filter(state=LeadState.OPEN).count() == 0


def test_two_disjoint_bulk_qualifies_of_one_company_make_one_account_and_one_contact():
    """Two selections with no lead in common but the same companies and people, at once."""
    owner = UserFactory()
    ids = [lead.pk for lead in _people_leads(owner)]

    outcomes = run_together(
        partial(
            leads_bulk_qualify, lead_ids=ids[:PEOPLE], acting_user=owner, options=BulkOptions()
        ),
        partial(
            leads_bulk_qualify, lead_ids=ids[PEOPLE:], acting_user=owner, options=BulkOptions()
        ),
    )

    assert_disjoint_selections_share_their_records(ids, outcomes)


def test_the_second_chunks_duplicate_lookup_waits_for_the_first_chunk_to_commit():
    """Each chunk, once past its duplicate lookup, waits for the other to get there too: the
    other never does, it is blocked on the match-key locks the first holds (seen in
    pg_stat_activity) until the first commits, and then links its records."""
    owner = UserFactory()
    ids = [lead.pk for lead in _people_leads(owner)]
    rendezvous = Rendezvous(2)
    contacts_find = duplicates.contacts_find

    def look_up_then_meet(**kwargs: Any) -> Any:
        # The chunk's last lookup under the locks: both chunks try to meet here.
        found = contacts_find(**kwargs)
        if kwargs["lock"]:
            rendezvous.arrive()
        return found

    with mock.patch.object(duplicates, "contacts_find", look_up_then_meet):
        outcomes = run_together(
            partial(
                leads_bulk_qualify, lead_ids=ids[:PEOPLE], acting_user=owner, options=BulkOptions()
            ),
            partial(
                leads_bulk_qualify, lead_ids=ids[PEOPLE:], acting_user=owner, options=BulkOptions()
            ),
        )

    assert rendezvous.saw_a_blocked_session, "both duplicate lookups ran at the same time"
    assert_disjoint_selections_share_their_records(ids, outcomes)


def assert_disjoint_selections_share_their_records(ids: list[int], outcomes: list[Any]) -> None:
    assert [outcome.error for outcome in outcomes] == [None, None]
    results: list[BulkQualifyOutcome] = [outcome.value for outcome in outcomes]
    assert [(r.failures, r.needs_review) for r in results] == [([], []), ([], [])]
    assert sorted(lead_id for r in results for lead_id in r.qualified_ids) == sorted(ids)
    # The selection that went second linked every record the first one had created.
    assert sorted((r.accounts_created, r.contacts_created) for r in results) == [
        (0, 0),
        (COMPANIES, PEOPLE),
    ]
    assert_no_lead_qualified_twice()
    assert_no_duplicate_records()
    assert (Account.objects.count(), Contact.objects.count()) == (COMPANIES, PEOPLE)
