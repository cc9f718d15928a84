"""Filter words in the lead grid's quick find (`status:lost closed:2026-03-01..2026-03-31`), the
lead's own and the qualification records' (registered by the qualification app)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User

from crm.models import OpportunityState, SalesStage
from leads.filters import lead_filter_split
from leads.models import Lead, LeadSource, LeadStatus
from leads.selectors import lead_list
from tests.insights import dated_lead, dated_qualification

pytestmark = pytest.mark.django_db


def names(user: User, query: str) -> set[str]:
    return {lead.last_name for lead in lead_list(user=user, view="all", query=query)}


def day(number: int) -> date:
    return date(2026, 3, number)


def test_text_without_words_is_quick_find_text_unchanged() -> None:
    for text in ("Jo", "Smith  Jones", "foo:bar", "status:", "status:bogus", "closed:2026-13-01"):
        condition, rest = lead_filter_split(text)
        assert rest == text
        assert not condition


def test_it_filters_by_status_reason_state_and_closed(
    salesperson: User, other_salesperson: User
) -> None:
    dated_lead(salesperson, created=day(1), closed=day(5), reason=LeadStatus.LOST, last_name="A")
    dated_lead(salesperson, created=day(1), closed=day(9), reason=LeadStatus.LOST, last_name="B")
    dated_lead(
        salesperson, created=day(1), closed=day(5), reason=LeadStatus.QUALIFIED, last_name="C"
    )
    dated_lead(salesperson, created=day(1), last_name="D")
    dated_lead(
        other_salesperson, created=day(1), closed=day(5), reason=LeadStatus.CANCELED, last_name="E"
    )

    assert names(salesperson, "status:lost") == {"A", "B"}
    assert names(salesperson, "status:disqualified closed:2026-03-05") == {"A", "E"}
    assert names(salesperson, "status:closed closed:2026-03-01..2026-03-08") == {"A", "C", "E"}
    assert names(salesperson, "status:open") == {"D"}
    assert names(salesperson, f"owner:{other_salesperson.pk} status:closed") == {"E"}
    # A range ends at midnight after its last day, in the site's time zone.
    assert names(salesperson, "closed:2026-03-09..2026-03-09") == {"B"}
    assert names(salesperson, "closed:2026-03-10..2026-03-31") == set()


def test_it_filters_by_created_and_source_beside_quick_find(salesperson: User) -> None:
    def lead(last_name: str, created: date | datetime, source: str) -> None:
        # Quick find looks at names, email, phone and company: only the last name says "Jo".
        dated_lead(
            salesperson,
            created=created,
            source=source,
            first_name="Ann",
            last_name=last_name,
            email=f"{last_name}@example.com".lower().replace("jo", "x"),
            company_name="Acme",
        )

    lead("Jones", day(2), LeadSource.SEMINAR)
    lead("Smith", day(2), LeadSource.SEMINAR)
    lead("Jordan", day(2), "")
    lead("Joyce", datetime(2026, 3, 3, 0, 0, tzinfo=UTC), LeadSource.SEMINAR)

    assert names(salesperson, "source:seminar created:2026-03-02") == {"Jones", "Smith"}
    assert names(salesperson, "Jo source:seminar created:2026-03-01..2026-03-02") == {"Jones"}
    assert names(salesperson, "source:none") == {"Jordan"}
    assert names(salesperson, "created:2026-03-03..2026-03-02") == set()  # reversed: no word


def test_qualification_words_must_hold_on_one_qualification_record(salesperson: User) -> None:
    both = dated_lead(salesperson, created=day(1), reason=LeadStatus.QUALIFIED, last_name="Both")
    dated_qualification(both, on=day(4), account="linked", account_duplicates="linked")
    # Linked in February, created in March: no single March record linked the account.
    twice = dated_lead(salesperson, created=day(1), reason=LeadStatus.QUALIFIED, last_name="Twice")
    dated_qualification(twice, on=date(2026, 2, 10), account="linked")
    dated_qualification(twice, on=day(6), account="created", contact="linked")
    dated_lead(salesperson, created=day(1), last_name="Open")

    march = "qualified:2026-03-01..2026-03-31"
    assert names(salesperson, f"{march} account:linked") == {"Both"}
    assert names(salesperson, f"{march} account:created") == {"Twice"}
    assert names(salesperson, f"{march} linked:account-or-contact") == {"Both", "Twice"}
    assert names(salesperson, "account:linked") == {"Both", "Twice"}
    assert names(salesperson, f"{march} account-duplicates:linked") == {"Both"}
    assert names(salesperson, f"{march} contact-duplicates:created_anyway") == set()
    assert names(salesperson, f"{march} contact:linked status:qualified") == {"Twice"}


def test_a_lead_qualified_twice_is_listed_once(salesperson: User) -> None:
    lead = dated_lead(salesperson, created=day(1), reason=LeadStatus.QUALIFIED, last_name="Again")
    dated_qualification(lead, on=day(4), account="linked")
    dated_qualification(lead, on=day(8), account="linked")

    leads = lead_list(user=salesperson, view="all", query="account:linked")

    assert [lead.last_name for lead in leads] == ["Again"]
    assert leads.count() == 1


def test_it_filters_by_the_stage_of_the_opportunities_a_qualification_created(
    salesperson: User,
) -> None:
    developing = dated_lead(salesperson, created=day(1), reason=LeadStatus.QUALIFIED, last_name="D")
    dated_qualification(developing, on=day(3), opportunities=[{"stage": SalesStage.DEVELOP}])
    won = dated_lead(salesperson, created=day(1), reason=LeadStatus.QUALIFIED, last_name="W")
    dated_qualification(
        won, on=day(3), opportunities=[{"stage": SalesStage.CLOSE, "state": OpportunityState.WON}]
    )
    dated_qualification(
        dated_lead(salesperson, created=day(1), reason=LeadStatus.QUALIFIED, last_name="None"),
        on=day(3),
    )

    assert names(salesperson, "opportunity:develop") == {"D"}
    assert names(salesperson, "opportunity:close") == set()  # won is not open at Close
    assert names(salesperson, "opportunity:won") == {"W"}
    assert names(salesperson, "opportunity:any") == {"D", "W"}
    assert Lead.objects.count() == 3
