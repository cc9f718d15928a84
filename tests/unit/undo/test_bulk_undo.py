"""Undo a bulk qualify: every qualification whose records are untouched is undone, the others
are refused with their reasons; two leads sharing one new account go together or not at
all; the number of queries does not grow with the number of leads."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from crm.models import Account, Contact, Opportunity
from crm.services.records import account_update, contact_update
from leads.models import Lead, LeadState
from qualification.engine import BulkOptions, leads_bulk_qualify
from qualification.models import BulkQualifyJob, FieldMapping, LinkedPolicy, Qualification
from qualification.services.undo import qualifications_undo
from qualification.tasks import bulk_qualify_job_run
from tests.factories import AccountFactory, LeadFactory

pytestmark = pytest.mark.django_db

ALL = {"create_account": True, "create_contact": True, "create_opportunity": True}
LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0


def _bulk(user, leads):
    outcome = leads_bulk_qualify(
        lead_ids=[lead.pk for lead in leads], acting_user=user, options=BulkOptions()
    )
    assert outcome.qualified_count == len(leads)
    return outcome.qualification_ids


def test_it_undoes_every_untouched_lead_and_refuses_the_others(salesperson):
    leads = [LeadFactory(owner=salesperson, company_name=f"Company {n}") for n in range(3)]
    ids = _bulk(salesperson, leads)
    touched = Qualification.objects.get(pk=ids[1]).account
    account_update(account=touched, acting_user=salesperson, phone="+1 555 0101")
    outcome = qualifications_undo(qualification_ids=ids, acting_user=salesperson)
    assert [result.undone for result in outcome.results] == [True, False, True]
    [refused] = outcome.refused
    assert refused.lead_id == leads[1].pk and refused.label == str(leads[1])
    assert refused.reasons[0].startswith("Account Company 1 was edited on")
    states = dict(Lead.objects.values_list("pk", "state"))
    assert [states[lead.pk] for lead in leads] == [
        LeadState.OPEN,
        LeadState.QUALIFIED,
        LeadState.OPEN,
    ]
    assert list(Account.objects.values_list("name", flat=True)) == ["Company 1"]


def test_leads_sharing_a_new_account_are_undone_together(salesperson):
    first = LeadFactory(owner=salesperson, company_name="Fabrikam")
    second = LeadFactory(owner=salesperson, company_name="Fabrikam, Inc.")
    ids = _bulk(salesperson, [first, second])
    assert Account.objects.count() == 1
    outcome = qualifications_undo(qualification_ids=ids, acting_user=salesperson)
    assert [result.undone for result in outcome.results] == [True, True]
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        0,
        0,
        0,
    )


def test_a_shared_account_keeps_its_creator_when_the_other_lead_is_refused(salesperson):
    first = LeadFactory(owner=salesperson, company_name="Fabrikam")
    second = LeadFactory(owner=salesperson, company_name="Fabrikam, Inc.")
    ids = _bulk(salesperson, [first, second])
    second_contact = Qualification.objects.get(pk=ids[1]).contact
    second_contact.refresh_from_db()
    contact_update(contact=second_contact, acting_user=salesperson, job_title="CEO")
    outcome = qualifications_undo(qualification_ids=ids, acting_user=salesperson)
    assert [result.undone for result in outcome.results] == [False, False]
    creator, other = outcome.results
    # The second lead was refused for its own contact; the first for the account both use.
    assert other.reasons[0].startswith(f"Contact {second_contact} was edited on")
    assert any("is linked by the qualification of" in reason for reason in creator.reasons)
    assert Account.objects.count() == 1


def test_undoing_one_lead_of_a_shared_account_alone_is_refused(salesperson):
    first = LeadFactory(owner=salesperson, company_name="Fabrikam")
    second = LeadFactory(owner=salesperson, company_name="Fabrikam, Inc.")
    ids = _bulk(salesperson, [first, second])
    outcome = qualifications_undo(qualification_ids=ids[:1], acting_user=salesperson)
    [result] = outcome.results
    assert not result.undone
    assert f"Account Fabrikam is linked by the qualification of {second} by Sam Seller." in (
        result.reasons
    )


def test_it_reports_other_peoples_leads(salesperson, other_salesperson):
    mine = LeadFactory(owner=salesperson)
    ids = _bulk(salesperson, [mine])
    [result] = qualifications_undo(qualification_ids=ids, acting_user=other_salesperson).results
    assert not result.undone
    assert result.reasons == ["You can only undo the qualification of a lead you own."]


@pytest.mark.parametrize("count", [2, 20])
def test_it_pins_the_queries_of_a_bulk_undo(salesperson, django_assert_num_queries, count):
    leads = [LeadFactory(owner=salesperson, company_name=f"Company {n}") for n in range(count)]
    ids = _bulk(salesperson, leads)
    ContentType.objects.get_for_models(Lead, Opportunity, Account, Contact)
    # The same as one undo: one statement per table, whatever the number of leads.
    with django_assert_num_queries(44 + LOCK_QUERIES):
        outcome = qualifications_undo(qualification_ids=ids, acting_user=salesperson)
    assert len(outcome.undone) == count


def test_a_background_jobs_qualifications_name_the_job(salesperson):
    leads = [LeadFactory(owner=salesperson) for _ in range(3)]
    ids = [lead.pk for lead in leads]
    job = BulkQualifyJob.objects.create(created_by=salesperson, lead_ids=ids, total=len(ids), **ALL)
    bulk_qualify_job_run.call(job.pk)
    assert set(job.qualifications.values_list("lead_id", flat=True)) == set(ids)
    outcome = qualifications_undo(
        qualification_ids=list(job.qualifications.values_list("pk", flat=True)),
        acting_user=salesperson,
    )
    assert len(outcome.undone) == 3


def test_a_bulk_undo_puts_back_a_linked_records_values_in_one_update(
    salesperson, django_assert_num_queries
):
    existing = AccountFactory(name="Contoso Ltd", owner=salesperson, phone="+1 555 999 0000")
    FieldMapping.objects.filter(target="account", target_field="phone").update(
        linked_policy=LinkedPolicy.OVERWRITE
    )
    leads = [
        LeadFactory(owner=salesperson, existing_account=existing, business_phone=f"+1 555 0{n}")
        for n in range(3)
    ]
    ids = _bulk(salesperson, leads)
    existing.refresh_from_db()
    assert existing.phone == "+1 555 02"
    ContentType.objects.get_for_models(Lead, Opportunity, Account, Contact)
    # As in the test above, without the account's delete (9) and the walk's query of the
    # contacts under it (no account was created), and with one UPDATE for the linked account.
    with django_assert_num_queries(44 - 9 - 1 + 1 + LOCK_QUERIES):
        outcome = qualifications_undo(qualification_ids=ids, acting_user=salesperson)
    assert len(outcome.undone) == 3
    existing.refresh_from_db()
    assert existing.phone == "+1 555 999 0000"
