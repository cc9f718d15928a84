"""The account, contact and opportunity grids' selectors: names sort without regard to case,
and the opportunity views pick the right rows."""

from __future__ import annotations

import pytest

from crm.selectors import OpportunityView, account_list, contact_list, opportunity_list
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_account_names_sort_without_regard_to_case() -> None:
    for name in ("CONTOSO", "City Power & Light", "adventure works", "Fabrikam"):
        AccountFactory(name=name)

    ascending = [account.name for account in account_list(sort="name")]
    descending = [account.name for account in account_list(sort="-name")]

    assert ascending == ["adventure works", "City Power & Light", "CONTOSO", "Fabrikam"]
    assert descending == list(reversed(ascending))


def test_contact_names_sort_by_last_then_first_name_without_regard_to_case() -> None:
    for first, last in (("nancy", "DAVOLIO"), ("Andrew", "davolio"), ("Janet", "Leverling")):
        ContactFactory(first_name=first, last_name=last)

    names = [contact.full_name for contact in contact_list(sort="name")]

    assert names == ["Andrew davolio", "nancy DAVOLIO", "Janet Leverling"]


def test_opportunity_topics_and_customers_sort_without_regard_to_case() -> None:
    user = UserFactory()
    OpportunityFactory(owner=user, topic="ZEBRA desks", customer_account=AccountFactory(name="b"))
    OpportunityFactory(owner=user, topic="apple chairs", customer_account=AccountFactory(name="A"))

    topics = [o.topic for o in opportunity_list(user=user, view="all", sort="topic")]
    customers = [o.customer_name for o in opportunity_list(user=user, view="all", sort="customer")]

    assert topics == ["apple chairs", "ZEBRA desks"]
    assert customers == ["A", "b"]


def test_each_opportunity_view_picks_its_rows() -> None:
    me, other = UserFactory(), UserFactory()
    OpportunityFactory(owner=me, topic="mine open")
    OpportunityFactory(owner=other, topic="theirs open")
    OpportunityFactory(owner=me, topic="won", state="won", status_reason="won")
    OpportunityFactory(owner=other, topic="lost", state="lost", status_reason="canceled")

    def topics(view: str) -> set[str]:
        return {o.topic for o in opportunity_list(user=me, view=view)}

    assert topics(OpportunityView.MY_OPEN) == {"mine open"}
    assert topics(OpportunityView.OPEN) == {"mine open", "theirs open"}
    assert topics(OpportunityView.CLOSED) == {"won", "lost"}
    assert topics(OpportunityView.WON) == {"won"}
    assert topics(OpportunityView.LOST) == {"lost"}
    assert topics(OpportunityView.ALL) == {"mine open", "theirs open", "won", "lost"}
    assert topics("no such view") == {"mine open"}
