"""Races on single qualifies: one lead qualified by eight people at once, a qualify racing a
disqualify, and two leads of one company qualified at the same moment (the match-key lock
makes the second one see the first one's account)."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from crm.models import Account, Contact, Opportunity, TimelineEntry
from leads import services as lead_services
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.services import LEAD_CLOSED as LEAD_SERVICES_CLOSED
from leads.services import disqualify as disqualify_service
from leads.services import lead_disqualify, locking
from qualification import duplicates
from qualification.engine import (
    EXISTING_NOT_FOUND,
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    QUALIFIED_TITLE,
    SUMMARY_TITLE,
    Choice,
    DuplicatesFoundError,
    LeadAlreadyQualifiedError,
    LeadClosedError,
    QualifyDecisions,
    QualifyResult,
    QualifyValidationError,
    RecordDecision,
    lead_qualify,
)
from qualification.models import Qualification, QualificationOpportunity, QualificationSettings
from qualification.services import qualification_settings_update
from tests.concurrency.tools import (
    THREAD_TIMEOUT,
    Outcome,
    Rendezvous,
    join,
    run_together,
    sessions_waiting_for_a_lock,
    start_thread,
    wait_until,
)
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]

REASON = LeadStatus.LOST
DISQUALIFIED_TITLE = "Lead disqualified: Lost"


@pytest.fixture(autouse=True)
def _builtin_summary(settings) -> None:
    settings.SUMMARY_LLM_URL = ""


def configure(**fields: Any) -> QualificationSettings:
    return qualification_settings_update(
        qualification_settings=QualificationSettings.load(), **fields
    )


def successes(outcomes: list[Outcome]) -> list[Any]:
    return [outcome.value for outcome in outcomes if outcome.error is None]


def errors(outcomes: list[Outcome]) -> list[BaseException]:
    return [outcome.error for outcome in outcomes if outcome.error is not None]


def titles(lead: Lead) -> list[str]:
    return list(lead.timeline.values_list("title", flat=True))


def assert_qualified_once(lead: Lead, result: QualifyResult | None = None) -> Qualification:
    """The lead is qualified by one qualification, with its account, contact and opportunity."""
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.QUALIFIED, LeadStatus.QUALIFIED)
    qualification = Qualification.objects.get(lead=lead)
    opportunity = QualificationOpportunity.objects.get(qualification=qualification).opportunity
    assert lead.parent_account_id == qualification.account_id is not None
    assert lead.parent_contact_id == qualification.contact_id is not None
    assert lead.qualifying_opportunity_id == opportunity.pk
    assert qualification.account_created and qualification.contact_created
    origins = LeadOrigin.objects.filter(lead=lead)
    assert {(o.account_id, o.contact_id, o.opportunity_id) for o in origins} == {
        (qualification.account_id, None, None),
        (None, qualification.contact_id, None),
        (None, None, opportunity.pk),
    }
    assert titles(lead).count(QUALIFIED_TITLE) == 1
    if result is not None:
        assert result.qualification.pk == qualification.pk
        assert result.account.pk == qualification.account_id
        assert [o.pk for o in result.opportunities] == [opportunity.pk]
    return qualification


def assert_left_open_with_nothing(lead: Lead) -> None:
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert (lead.parent_account_id, lead.parent_contact_id, lead.qualifying_opportunity_id) == (
        None,
        None,
        None,
    )
    assert not Qualification.objects.filter(lead=lead).exists()
    assert not LeadOrigin.objects.filter(lead=lead).exists()
    assert QUALIFIED_TITLE not in titles(lead)


@pytest.mark.parametrize("summarize", [False, True], ids=["without-summary", "with-summary"])
def test_eight_qualifies_of_one_lead_make_one_set_of_records(summarize):
    configure(summarize_after_qualify=summarize)
    owner = UserFactory()
    lead = LeadFactory(owner=owner, company_name="Contoso Ltd")

    outcomes = run_together(
        *[partial(lead_qualify, lead_id=lead.pk, acting_user=owner) for _ in range(8)]
    )

    [result] = successes(outcomes)
    refused = errors(outcomes)
    assert len(refused) == 7
    assert all(type(error) is LeadAlreadyQualifiedError for error in refused), refused
    assert {str(error) for error in refused} == {LEAD_ALREADY_QUALIFIED}
    assert_qualified_once(lead, result)
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        1,
        1,
        1,
    )
    assert Qualification.objects.count() == 1 and LeadOrigin.objects.count() == 3
    summaries = TimelineEntry.objects.filter(title=SUMMARY_TITLE).count()
    # The summary goes on the lead and on the primary opportunity, once.
    assert summaries == (2 if summarize else 0)


def _qualify(lead: Lead, user: Any) -> Any:
    return partial(lead_qualify, lead_id=lead.pk, acting_user=user)


def _disqualify(lead: Lead, user: Any) -> Any:
    return partial(lead_disqualify, lead=lead, reason=REASON, acting_user=user)


def assert_one_winner(lead: Lead, outcomes: list[Outcome], kinds: list[str]) -> str:
    """Exactly one call won; each loser got its domain error; the lead is either qualified
    with its records or disqualified with none, never both. Returns the winner's kind."""
    won = [kind for kind, outcome in zip(kinds, outcomes, strict=True) if outcome.error is None]
    assert len(won) == 1, [outcome.error for outcome in outcomes]
    [winner] = won
    for kind, outcome in zip(kinds, outcomes, strict=True):
        if outcome.error is None:
            continue
        if kind == "disqualify":
            # A closed lead, whichever way it was closed.
            assert type(outcome.error) is lead_services.LeadClosedError, outcome.error
            assert outcome.error.message == LEAD_SERVICES_CLOSED
        elif winner == "qualify":
            assert type(outcome.error) is LeadAlreadyQualifiedError, outcome.error
            assert str(outcome.error) == LEAD_ALREADY_QUALIFIED
        else:
            assert type(outcome.error) is LeadClosedError, outcome.error
            assert str(outcome.error) == LEAD_CLOSED
    if winner == "qualify":
        assert_qualified_once(lead)
        assert DISQUALIFIED_TITLE not in titles(lead)
    else:
        assert_left_open_with_nothing_but_disqualified(lead)
    return winner


def assert_left_open_with_nothing_but_disqualified(lead: Lead) -> None:
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.DISQUALIFIED, REASON)
    assert (lead.parent_account_id, lead.parent_contact_id, lead.qualifying_opportunity_id) == (
        None,
        None,
        None,
    )
    assert not Qualification.objects.filter(lead=lead).exists()
    assert not LeadOrigin.objects.filter(lead=lead).exists()
    assert titles(lead) == [DISQUALIFIED_TITLE]


def test_qualifies_racing_disqualifies_leave_one_winner_per_lead():
    owner = UserFactory()
    winners = []
    for _ in range(6):
        lead = LeadFactory(owner=owner)
        kinds = ["qualify", "disqualify"] * 4
        calls = [(_qualify if kind == "qualify" else _disqualify)(lead, owner) for kind in kinds]
        winners.append(assert_one_winner(lead, run_together(*calls), kinds))

    qualified = winners.count("qualify")
    # Nothing was created for the leads the disqualify won.
    assert Account.objects.count() == Contact.objects.count() == qualified
    assert Opportunity.objects.count() == Qualification.objects.count() == qualified


@pytest.mark.parametrize("holder", ["qualify", "disqualify"])
def test_the_loser_waits_for_the_lead_lock_then_sees_the_winner(holder):
    """The winner holds the lead's row lock; the other call blocks on it (seen in
    pg_stat_activity), then re-reads the lead and refuses."""
    owner = UserFactory()
    lead = LeadFactory(owner=owner)
    locked, release = threading.Event(), threading.Event()

    def hold(result: Any) -> Any:
        locked.set()
        assert release.wait(THREAD_TIMEOUT)
        return result

    if holder == "qualify":
        leads_lock = locking.leads_lock

        def holding(*args: Any) -> Any:
            return hold(leads_lock(*args))

        patch = mock.patch.object(locking, "leads_lock", holding)
        first, second = _qualify(lead, owner), _disqualify(lead, owner)
        kinds = ["qualify", "disqualify"]
    else:
        lock = disqualify_service.lead_lock
        patch = mock.patch.object(disqualify_service, "lead_lock", lambda *a: hold(lock(*a)))
        first, second = _disqualify(lead, owner), _qualify(lead, owner)
        kinds = ["disqualify", "qualify"]

    with patch:
        holder_thread, holder_outcome = start_thread(first)
        try:
            assert locked.wait(THREAD_TIMEOUT)
            loser_thread, loser_outcome = start_thread(second)
            wait_until(sessions_waiting_for_a_lock, timeout=10, what="the loser to block")
        finally:
            release.set()
        join(holder_thread)
        join(loser_thread)

    assert assert_one_winner(lead, [holder_outcome, loser_outcome], kinds) == holder


def test_a_double_click_with_summaries_on_answers_already_qualified():
    """The late click reads the lead (still open) before its transaction; the early click
    commits before the late one looks for duplicates. Held there by the test, so the outcome
    does not depend on luck."""
    configure(summarize_after_qualify=True)
    owner = UserFactory()
    lead = LeadFactory(owner=owner, company_name="Contoso Ltd")
    read = threading.Event()
    accounts_find = duplicates.accounts_find

    def read_then_let_the_twin_commit(**kwargs: Any) -> Any:
        # The early (unlocked) check has read the lead; it looks for duplicates only once
        # the early click has committed.
        if not kwargs["lock"]:
            read.set()
            wait_until(
                Lead.objects.filter(pk=lead.pk, state=LeadState.QUALIFIED).exists,
                timeout=THREAD_TIMEOUT,
                what="the first click's qualify",
            )
        return accounts_find(**kwargs)

    with mock.patch.object(duplicates, "accounts_find", read_then_let_the_twin_commit):
        late, outcome = start_thread(_qualify(lead, owner))
        try:
            assert read.wait(THREAD_TIMEOUT)
            # The early click, without the summary's unlocked read.
            early = lead_qualify(lead_id=lead.pk, acting_user=owner, summarize=False)
        finally:
            join(late)

    assert_qualified_once(lead, early)
    assert type(outcome.error) is LeadAlreadyQualifiedError, outcome.error


def _same_company_leads(owner: Any, n: int = 0) -> tuple[Lead, Lead]:
    # The same person sent the form twice: one company (written two ways), one email.
    company, email = f"Fabrikam {n}", f"ann{n}@fabrikam.example"
    first = LeadFactory(owner=owner, company_name=f"{company} Inc", email=email)
    second = LeadFactory(owner=owner, company_name=f"{company}, Inc.", email=email.upper())
    return first, second


def assert_one_qualified_and_one_sent_to_the_duplicates(
    leads: tuple[Lead, Lead], outcomes: list[Outcome], n: int = 0
) -> None:
    """One lead is qualified with a new account and contact; the other is refused with
    exactly those as its duplicates and left open: one account, one contact."""
    [result] = successes(outcomes)
    [refusal] = errors(outcomes)
    assert isinstance(refusal, DuplicatesFoundError), refusal
    assert [a.pk for a in refusal.accounts] == [result.account.pk]
    assert [c.pk for c in refusal.contacts] == [result.contact.pk]
    for lead, outcome in zip(leads, outcomes, strict=True):
        if outcome.error is None:
            assert_qualified_once(lead, outcome.value)
        else:
            assert_left_open_with_nothing(lead)
    assert Account.objects.filter(normalized_name=f"fabrikam {n}").count() == 1
    assert Contact.objects.filter(email_normalized=f"ann{n}@fabrikam.example").count() == 1


def test_two_leads_of_one_company_qualified_at_once_make_one_account_and_one_contact():
    owner = UserFactory()
    for n in range(10):
        leads = _same_company_leads(owner, n)

        outcomes = run_together(*[_qualify(lead, owner) for lead in leads])

        assert_one_qualified_and_one_sent_to_the_duplicates(leads, outcomes, n)


def test_the_second_duplicate_check_waits_for_the_first_qualify_to_commit():
    """Each qualify, once past its duplicate check, waits for the other to get there too: the
    other never does, it is blocked on the match-key lock the first one holds (seen in
    pg_stat_activity) until the first commits, and then finds its account and contact."""
    owner = UserFactory()
    leads = _same_company_leads(owner)
    rendezvous = Rendezvous(2)
    contacts_find = duplicates.contacts_find

    def check_then_meet(**kwargs: Any) -> Any:
        # The qualify's last lookup under the locks: both qualifies try to meet here.
        found = contacts_find(**kwargs)
        rendezvous.arrive()
        return found

    with mock.patch.object(duplicates, "contacts_find", check_then_meet):
        outcomes = run_together(*[_qualify(lead, owner) for lead in leads])

    assert rendezvous.saw_a_blocked_session, "both duplicate checks ran at the same time"
    assert_one_qualified_and_one_sent_to_the_duplicates(leads, outcomes)


def test_an_existing_account_deleted_before_the_qualify_looks_is_reported_not_a_500():
    """The salesperson picked an account in the side pane; someone deletes it while the
    qualify waits on the lead's lock. The qualify re-reads it under its locks, finds it gone,
    says so and writes nothing (it used to fail on the foreign key)."""
    configure(account_mode="salesperson")
    owner = UserFactory()
    lead = LeadFactory(owner=owner)
    picked = AccountFactory(name="Northwind")
    locked, release = threading.Event(), threading.Event()
    leads_lock = locking.leads_lock

    def lock_then_wait(*args: Any) -> Any:
        found = leads_lock(*args)
        locked.set()
        assert release.wait(THREAD_TIMEOUT)
        return found

    decisions = QualifyDecisions(
        account=RecordDecision(choice=Choice.EXISTING, existing_id=picked.pk)
    )
    with mock.patch.object(locking, "leads_lock", lock_then_wait):
        thread, outcome = start_thread(
            partial(lead_qualify, lead_id=lead.pk, acting_user=owner, decisions=decisions)
        )
        try:
            assert locked.wait(THREAD_TIMEOUT)
            Account.objects.filter(pk=picked.pk).delete()
        finally:
            release.set()
        join(thread)

    assert isinstance(outcome.error, QualifyValidationError), outcome.error
    [problem] = outcome.error.problems
    assert problem.message == EXISTING_NOT_FOUND.format(record="account")
    assert_left_open_with_nothing(lead)


def test_an_account_being_linked_cannot_be_deleted_until_the_qualify_commits():
    """The qualify holds the linked account's row (FOR NO KEY UPDATE) from its lookup to its
    commit: a delete that comes meanwhile waits (seen in pg_stat_activity), so the qualify
    never links a record that vanishes under it."""
    configure(account_mode="salesperson")
    owner = UserFactory()
    lead = LeadFactory(owner=owner)
    picked = AccountFactory(name="Northwind")
    found, release = threading.Event(), threading.Event()
    contacts_find = duplicates.contacts_find

    def find_then_wait(**kwargs: Any) -> Any:
        result = contacts_find(**kwargs)
        found.set()
        assert release.wait(THREAD_TIMEOUT)
        return result

    decisions = QualifyDecisions(
        account=RecordDecision(choice=Choice.EXISTING, existing_id=picked.pk)
    )
    with mock.patch.object(duplicates, "contacts_find", find_then_wait):
        thread, outcome = start_thread(
            partial(lead_qualify, lead_id=lead.pk, acting_user=owner, decisions=decisions)
        )
        try:
            assert found.wait(THREAD_TIMEOUT)
            deleter, deleted = start_thread(
                lambda: connection.cursor().execute(
                    "DELETE FROM crm_account WHERE id = %s", [picked.pk]
                )
            )
            wait_until(sessions_waiting_for_a_lock, timeout=10, what="the delete to block")
        finally:
            release.set()
        join(thread)
        join(deleter)

    assert outcome.error is None, outcome.error
    assert outcome.value.account.pk == picked.pk
    # The delete ran after the commit: the database refused it (the new opportunity and the
    # lead now point at the account), instead of the qualify failing.
    assert deleted.error is not None
    assert Account.objects.filter(pk=picked.pk).exists()
