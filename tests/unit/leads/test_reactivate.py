"""lead_reactivate and leads_reactivate: back to Open / New, the links cleared, the history kept."""

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage

from crm.selectors import timeline_for
from leads.models import Lead, LeadState, LeadStatus
from leads.services import (
    LEAD_NOT_CLOSED,
    LEAD_NOT_YOURS,
    LeadNotClosedError,
    LeadPermissionError,
    lead_disqualify,
    lead_reactivate,
    leads_reactivate,
)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
)
from tests.unit.leads.timeline import events_of, note_with_file

pytestmark = pytest.mark.django_db


def test_it_reactivates_a_disqualified_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    note = note_with_file(lead, salesperson)
    lead_disqualify(lead=lead, reason=LeadStatus.CANNOT_CONTACT, acting_user=salesperson)

    lead_reactivate(lead=lead, acting_user=salesperson)

    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.NEW)
    assert events_of(lead) == ["Lead reactivated", "Lead disqualified: Cannot Contact"]
    event = timeline_for(record=lead).filter(title="Lead reactivated").get()
    assert event.body == "Was Disqualified: Cannot Contact."
    note.refresh_from_db()
    assert default_storage.exists(note.attachment.name)


def test_it_reactivates_a_qualified_lead_and_clears_its_links(salesperson: User) -> None:
    account = AccountFactory(name="Contoso")
    contact = ContactFactory(first_name="Ann", last_name="Lee", account=account)
    opportunity = OpportunityFactory(topic="50 coffee machines", customer_account=account)
    lead = LeadFactory(
        owner=salesperson,
        qualified=True,
        parent_account=account,
        parent_contact=contact,
        qualifying_opportunity=opportunity,
    )

    lead_reactivate(lead=lead, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert lead.parent_account is None
    assert lead.parent_contact is None
    assert lead.qualifying_opportunity is None
    event = timeline_for(record=lead).get(title="Lead reactivated")
    assert event.body.splitlines() == [
        "Was Qualified: Qualified.",
        f"Parent account: Contoso (#{account.pk})",
        f"Parent contact: Ann Lee (#{contact.pk})",
        f"Qualifying opportunity: 50 coffee machines (#{opportunity.pk})",
    ]
    # The records themselves stay.
    assert type(opportunity).objects.filter(pk=opportunity.pk).exists()


def test_it_lets_a_reactivated_lead_be_qualified_again(salesperson: User) -> None:
    from qualification.engine import lead_qualify

    lead = LeadFactory(owner=salesperson, company_name="Fabrikam", disqualified=True)
    lead_reactivate(lead=lead, acting_user=salesperson)

    result = lead_qualify(lead_id=lead.pk, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert result.lead.pk == lead.pk


def test_it_refuses_to_reactivate_an_open_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, contacted=True)

    with pytest.raises(LeadNotClosedError) as error:
        lead_reactivate(lead=lead, acting_user=salesperson)

    assert error.value.message == LEAD_NOT_CLOSED
    lead.refresh_from_db()
    assert lead.status_reason == LeadStatus.CONTACTED
    assert events_of(lead) == []


def test_it_refuses_to_reactivate_another_salespersons_lead(
    salesperson: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, disqualified=True)

    with pytest.raises(LeadPermissionError):
        lead_reactivate(lead=lead, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.DISQUALIFIED


def test_it_reactivates_a_mixed_batch(salesperson: User, other_salesperson: User) -> None:
    closed = [
        LeadFactory(owner=salesperson, disqualified=True),
        LeadFactory(owner=salesperson, qualified=True),
    ]
    open_lead = LeadFactory(owner=salesperson)
    theirs = LeadFactory(owner=other_salesperson, disqualified=True)

    outcome = leads_reactivate(
        lead_ids=[closed[0].pk, open_lead.pk, theirs.pk, closed[1].pk],
        acting_user=salesperson,
    )

    assert sorted(outcome.done) == sorted(lead.pk for lead in closed)
    reasons = {failure.lead_id: failure.reason for failure in outcome.failures}
    assert reasons == {open_lead.pk: LEAD_NOT_CLOSED, theirs.pk: LEAD_NOT_YOURS}
    assert Lead.objects.filter(pk__in=[lead.pk for lead in closed], state="open").count() == 2
    theirs.refresh_from_db()
    assert theirs.state == LeadState.DISQUALIFIED
