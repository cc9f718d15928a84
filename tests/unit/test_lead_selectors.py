from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from crm.models import Account
from leads.models import Lead
from leads.selectors import (
    DEFAULT_VIEW,
    LEAD_VIEWS,
    SORT_FIELDS,
    LeadView,
    account_lookup,
    contact_lookup,
    lead_can_change,
    lead_can_delete,
    lead_get_for_user,
    lead_ids_for_selection,
    lead_list,
    week_start,
)
from tests.factories import AccountFactory, ContactFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Every test creates users; the default hasher makes each one cost half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _ids(leads) -> set[int]:
    return {lead.pk for lead in leads}


def _created(lead: Lead, when: datetime) -> Lead:
    # created_at is auto_now_add: set it afterwards, as the past would have.
    Lead.objects.filter(pk=lead.pk).update(created_at=when)
    return lead


@pytest.fixture
def states(salesperson: User, other_salesperson: User) -> dict[str, Lead]:
    return {
        "mine_new": LeadFactory(owner=salesperson),
        "mine_contacted": LeadFactory(owner=salesperson, contacted=True),
        "mine_qualified": LeadFactory(owner=salesperson, qualified=True),
        "mine_disqualified": LeadFactory(owner=salesperson, disqualified=True),
        "theirs_open": LeadFactory(owner=other_salesperson),
        "theirs_qualified": LeadFactory(owner=other_salesperson, qualified=True),
    }


def test_it_lists_the_six_views_in_order() -> None:
    assert LEAD_VIEWS == [
        ("my_open", "My Open Leads"),
        ("open", "Open Leads"),
        ("closed", "Closed Leads"),
        ("all", "All Leads"),
        ("opened_this_week", "Leads Opened This Week"),
        ("opened_last_week", "Leads Opened Last Week"),
    ]
    assert DEFAULT_VIEW == LeadView.MY_OPEN


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("my_open", {"mine_new", "mine_contacted"}),
        ("open", {"mine_new", "mine_contacted", "theirs_open"}),
        ("closed", {"mine_qualified", "mine_disqualified", "theirs_qualified"}),
        (
            "all",
            {
                "mine_new",
                "mine_contacted",
                "mine_qualified",
                "mine_disqualified",
                "theirs_open",
                "theirs_qualified",
            },
        ),
        ("no-such-view", {"mine_new", "mine_contacted"}),
    ],
)
def test_it_filters_each_view(
    salesperson: User, states: dict[str, Lead], view: str, expected: set[str]
) -> None:
    leads = lead_list(user=salesperson, view=view)

    assert _ids(leads) == {states[name].pk for name in expected}


def test_it_shows_my_open_leads_of_the_user_asking(
    other_salesperson: User, states: dict[str, Lead]
) -> None:
    assert _ids(lead_list(user=other_salesperson, view="my_open")) == {states["theirs_open"].pk}


def test_it_starts_weeks_on_monday_in_the_site_time_zone(settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    new_york = ZoneInfo("America/New_York")
    # Wednesday 2026-10-14, 23:30 in New York is already Thursday in UTC.
    now = datetime(2026, 10, 14, 23, 30, tzinfo=new_york)

    assert week_start(now) == datetime(2026, 10, 12, 0, 0, tzinfo=new_york)


def test_it_finds_the_leads_opened_this_week_and_last_week(settings, salesperson: User) -> None:
    settings.TIME_ZONE = "America/New_York"
    new_york = ZoneInfo("America/New_York")
    now = datetime(2026, 10, 14, 12, 0, tzinfo=new_york)  # a Wednesday
    monday = datetime(2026, 10, 12, 0, 0, tzinfo=new_york)
    tiny = timedelta(microseconds=1)
    this_week_first = _created(LeadFactory(owner=salesperson), monday)
    this_week_closed = _created(LeadFactory(owner=salesperson, qualified=True), now)
    this_week_last = _created(LeadFactory(owner=salesperson), monday + timedelta(days=7) - tiny)
    last_week_last = _created(LeadFactory(owner=salesperson), monday - tiny)
    last_week_first = _created(LeadFactory(owner=salesperson), monday - timedelta(days=7))
    _created(LeadFactory(owner=salesperson), monday - timedelta(days=7) - tiny)
    _created(LeadFactory(owner=salesperson), monday + timedelta(days=7))

    this_week = lead_list(user=salesperson, view="opened_this_week", now=now)
    last_week = lead_list(user=salesperson, view="opened_last_week", now=now)

    assert _ids(this_week) == {this_week_first.pk, this_week_closed.pk, this_week_last.pk}
    assert _ids(last_week) == {last_week_first.pk, last_week_last.pk}


def test_it_uses_the_current_week_by_default(salesperson: User) -> None:
    fresh = LeadFactory(owner=salesperson)
    old = _created(LeadFactory(owner=salesperson), week_start() - timedelta(days=8))

    assert _ids(lead_list(user=salesperson, view="opened_this_week")) == {fresh.pk}
    assert _ids(lead_list(user=salesperson, view="opened_last_week")) == set()
    assert old.pk in _ids(lead_list(user=salesperson, view="all"))


@pytest.fixture
def findable(salesperson: User) -> dict[str, Lead]:
    return {
        "ann": LeadFactory(
            owner=salesperson,
            first_name="Ann",
            last_name="Lee",
            email="ann.lee@contoso.example",
            business_phone="+1 555 0100",
            company_name="Contoso",
        ),
        "bob": LeadFactory(
            owner=salesperson,
            first_name="Bob",
            last_name="Annenberg",
            email="bob@fabrikam.example",
            business_phone="+44 20 7946 0000",
            company_name="Fabrikam",
        ),
        "cy": LeadFactory(
            owner=salesperson,
            first_name="Cy",
            last_name="Young",
            email="cy@northwind.example",
            business_phone="+1 555 0199",
            company_name="Northwind Contoso Partners",
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ann", {"ann", "bob"}),  # first name Ann, last name Annenberg
        ("ANN LEE", {"ann"}),  # full name, case ignored
        ("lee", {"ann"}),
        ("bob@fab", {"bob"}),  # email
        ("+1 555", {"ann", "cy"}),  # business phone
        ("contoso", {"ann"}),  # company begins with, not contains
        ("northwind", {"cy"}),
        ("  cy  ", {"cy"}),  # surrounding spaces ignored
        ("ee", set()),  # begins with, not contains
        ("zzz", set()),
    ],
)
def test_it_quick_finds_by_the_beginning_of_name_email_phone_or_company(
    salesperson: User, findable: dict[str, Lead], query: str, expected: set[str]
) -> None:
    leads = lead_list(user=salesperson, view="all", query=query)

    assert _ids(leads) == {findable[name].pk for name in expected}


def test_it_quick_finds_inside_the_view_only(salesperson: User) -> None:
    LeadFactory(owner=salesperson, last_name="Lee", qualified=True)
    open_lee = LeadFactory(owner=salesperson, last_name="Lee")

    assert _ids(lead_list(user=salesperson, view="my_open", query="lee")) == {open_lee.pk}


@pytest.mark.parametrize("sort", sorted(SORT_FIELDS))
def test_it_sorts_by_each_column_both_ways(salesperson: User, sort: str) -> None:
    owners = [
        UserFactory(username="zed", first_name="Zed", last_name="Zulu"),
        UserFactory(username="abe", first_name="Abe", last_name="Alpha"),
    ]
    leads = [
        LeadFactory(
            owner=owners[0],
            first_name="Zoe",
            last_name="Zimmer",
            topic="Zebra",
            company_name="Zeta",
            email="z@z.example",
            business_phone="9",
            status_reason="new",
        ),
        LeadFactory(
            owner=owners[1],
            first_name="Al",
            last_name="Abbot",
            topic="Aardvark",
            company_name="Alpha",
            email="a@a.example",
            business_phone="1",
            contacted=True,
        ),
    ]
    _created(leads[0], datetime(2026, 1, 2, tzinfo=ZoneInfo("UTC")))
    _created(leads[1], datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")))
    # Ascending puts the second lead ("A...", contacted, created first) first.
    ascending = [lead.pk for lead in lead_list(user=salesperson, view="all", sort=sort)]
    descending = [lead.pk for lead in lead_list(user=salesperson, view="all", sort=f"-{sort}")]

    assert ascending == [leads[1].pk, leads[0].pk]
    assert descending == [leads[0].pk, leads[1].pk]


def test_it_breaks_sort_ties_by_newest_id(salesperson: User) -> None:
    leads = LeadFactory.create_batch(3, owner=salesperson, company_name="Same")

    ordered = [lead.pk for lead in lead_list(user=salesperson, view="all", sort="company_name")]

    assert ordered == sorted((lead.pk for lead in leads), reverse=True)


def test_it_ignores_an_unknown_sort(salesperson: User) -> None:
    older = _created(LeadFactory(owner=salesperson), datetime(2025, 1, 1, tzinfo=ZoneInfo("UTC")))
    newer = LeadFactory(owner=salesperson)

    ordered = [lead.pk for lead in lead_list(user=salesperson, view="all", sort="password")]

    assert ordered == [newer.pk, older.pk]


def test_it_gets_any_lead_for_viewing(salesperson: User, other_salesperson: User) -> None:
    lead = LeadFactory(owner=other_salesperson)

    assert lead_get_for_user(user=salesperson, pk=lead.pk) == lead


def test_it_refuses_another_salespersons_lead_for_change(
    salesperson: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson)

    with pytest.raises(PermissionDenied):
        lead_get_for_user(user=salesperson, pk=lead.pk, for_change=True)


def test_it_gives_a_manager_any_lead_for_change(manager: User, other_salesperson: User) -> None:
    lead = LeadFactory(owner=other_salesperson)

    assert lead_get_for_user(user=manager, pk=lead.pk, for_change=True) == lead
    assert lead_can_change(manager, lead)


def test_it_404s_for_a_missing_lead(salesperson: User) -> None:
    with pytest.raises(Http404):
        lead_get_for_user(user=salesperson, pk=12345)


def test_it_lets_owners_and_delete_permission_holders_delete(
    salesperson: User, other_salesperson: User, manager: User
) -> None:
    lead = LeadFactory(owner=salesperson)

    assert lead_can_delete(salesperson, lead)
    assert not lead_can_delete(other_salesperson, lead)
    assert lead_can_delete(manager, lead)


def test_it_resolves_all_leads_matching_the_view(salesperson: User, states) -> None:
    LeadFactory(owner=salesperson, last_name="Zz-not-found")

    ids = lead_ids_for_selection(
        user=salesperson, view="closed", query="", lead_ids=[], select_all_matching=True
    )

    expected = {states[name].pk for name in ("mine_qualified", "mine_disqualified")}
    assert set(ids) == expected | {states["theirs_qualified"].pk}


def test_it_resolves_all_leads_matching_the_quick_find(salesperson: User, findable) -> None:
    ids = lead_ids_for_selection(
        user=salesperson, view="my_open", query="ann", lead_ids=[1], select_all_matching=True
    )

    assert set(ids) == {findable["ann"].pk, findable["bob"].pk}


def test_it_resolves_the_ticked_leads_that_exist(salesperson: User, other_salesperson) -> None:
    mine = LeadFactory(owner=salesperson)
    theirs = LeadFactory(owner=other_salesperson)

    ids = lead_ids_for_selection(
        user=salesperson,
        view="my_open",
        query="",
        lead_ids=[theirs.pk, 999_999, mine.pk, theirs.pk],
        select_all_matching=False,
    )

    assert ids == [theirs.pk, mine.pk]


def test_it_looks_up_accounts_by_the_beginning_of_their_name() -> None:
    contoso = AccountFactory(name="Contoso")
    AccountFactory(name="Fabrikam")
    selected = AccountFactory(name="Northwind")

    found = account_lookup(query="con", selected_id=selected.pk)

    assert found == [selected, contoso]


def test_it_limits_account_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leads.selectors.LOOKUP_LIMIT", 3)
    AccountFactory.create_batch(5, owner=UserFactory())

    assert len(account_lookup()) == 3
    assert Account.objects.count() == 5


def test_it_looks_up_contacts_by_name_or_email() -> None:
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann@contoso.example")
    ContactFactory(first_name="Bob", last_name="Smith", email="bob@fabrikam.example")

    assert contact_lookup(query="ann lee") == [ann]
    assert contact_lookup(query="ann@") == [ann]
    assert contact_lookup(query="lee") == [ann]


@pytest.fixture
def phoned(salesperson: User) -> dict[str, Lead]:
    return {
        "seattle": LeadFactory(
            owner=salesperson, business_phone="+1 (206) 555-4049", mobile_phone=""
        ),
        "mobile": LeadFactory(
            owner=salesperson, business_phone="", mobile_phone="+44 20 7946 0958"
        ),
        "both": LeadFactory(owner=salesperson, business_phone="0044 1234", mobile_phone="5678"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("555-4049", {"seattle"}),  # digits anywhere, whatever the signs between them
        ("5554049", {"seattle"}),
        ("(206) 555", {"seattle"}),
        ("+1 206 555 40", {"seattle"}),
        ("4049", {"seattle"}),
        ("7946 0958", {"mobile"}),  # the mobile phone too
        ("207946", {"mobile"}),
        ("1234", {"both"}),
        ("12345678", set()),  # never across the two phones
        ("34 56", set()),
        ("49", set()),  # fewer than three digits: begins-with only
        ("555 4049 ext", set()),  # not phone-like text: begins-with only
    ],
)
def test_it_quick_finds_phone_digits_anywhere(
    salesperson: User, phoned: dict[str, Lead], query: str, expected: set[str]
) -> None:
    leads = lead_list(user=salesperson, view="all", query=query)

    assert _ids(leads) == {phoned[name].pk for name in expected}


def test_it_stores_the_phone_digits_on_every_write(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, business_phone="+1 (206) 555-4049", mobile_phone="")
    assert Lead.objects.get(pk=lead.pk).phone_digits == "12065554049"

    lead.mobile_phone = "425.555.0101"
    lead.save(update_fields=["mobile_phone"])
    assert Lead.objects.get(pk=lead.pk).phone_digits == "12065554049 4255550101"

    (bulk,) = Lead.objects.bulk_create(
        [Lead(topic="Bulk", last_name="B", owner_id=salesperson.pk, business_phone="555 12 34")]
    )
    stored = Lead.objects.get(pk=bulk.pk)
    assert (stored.phone_digits, stored.owner_sort) == ("5551234", "seller\x1fsam\x1fsam")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dana", {"dana"}),  # the owner's first name
        ("WHITF", {"dana"}),  # last name, case ignored
        ("Dana Whit", {"dana"}),  # full name
        ("lee", {"lee", "dana"}),  # a lead's own name still counts (Dana's lead is Lee's)
        ("sam", {"sam"}),
        ("ana", set()),  # begins with, not contains
    ],
)
def test_it_quick_finds_by_the_owners_name(
    salesperson: User, query: str, expected: set[str]
) -> None:
    dana = UserFactory(username="dwhitfield", first_name="Dana", last_name="Whitfield")
    lee = UserFactory(username="lokafor", first_name="Lee", last_name="Okafor")
    leads = {
        "dana": LeadFactory(owner=dana, first_name="Ann", last_name="Leeds", company_name="X"),
        "lee": LeadFactory(owner=lee, first_name="Bob", last_name="Ray", company_name="Y"),
        "sam": LeadFactory(owner=salesperson, first_name="Cy", last_name="Young", company_name="Z"),
    }

    found = lead_list(user=salesperson, view="all", query=query)

    assert _ids(found) == {leads[name].pk for name in expected}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Dana", {"lee", "bo"}),  # her own name: every lead of her view
        ("whitfield", {"lee", "bo"}),
        ("Dana W", {"lee", "bo"}),
        ("Lee", {"lee"}),  # another owner's name: only her leads the text itself finds
        ("Okafor", set()),
        ("Priya", set()),  # nobody's name and no lead's
    ],
)
def test_my_open_leads_finds_by_owner_name_within_the_view(query: str, expected: set[str]) -> None:
    dana = UserFactory(username="dwhitfield", first_name="Dana", last_name="Whitfield")
    lee = UserFactory(username="lokafor", first_name="Lee", last_name="Okafor")

    def lead(owner: User, first_name: str, **fields: Any) -> Lead:
        return LeadFactory(
            owner=owner,
            first_name=first_name,
            last_name="Ray",
            company_name="Fabrikam",
            email=f"{first_name.lower()}@fabrikam.example",
            **fields,
        )

    leads = {"lee": lead(dana, "Lee"), "bo": lead(dana, "Bo")}
    lead(dana, "Lee", disqualified=True)  # not in her open view
    lead(lee, "Dana")  # Lee's lead, named after her

    found = lead_list(user=dana, view="my_open", query=query)

    assert _ids(found) == {leads[name].pk for name in expected}


@pytest.mark.parametrize("query", ["%", "_", "\\", "5%5", "55_", "(%)", "' OR 1=1 --", "ﾟ555"])
def test_it_takes_like_wildcards_literally(salesperson: User, phoned, query: str) -> None:
    assert list(lead_list(user=salesperson, view="all", query=query)) == []


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        ("company_name", ["alpha", "Beta", "CONTOSO", "delta"]),
        ("topic", ["alpha", "Beta", "CONTOSO", "delta"]),
        ("email", ["alpha@x.example", "Beta@x.example", "CONTOSO@x.example", "delta@x.example"]),
        ("name", ["alpha", "Beta", "CONTOSO", "delta"]),
    ],
)
def test_it_sorts_text_case_insensitively(salesperson: User, sort: str, values: list[str]) -> None:
    field = "last_name" if sort == "name" else sort
    leads = {value: LeadFactory(owner=salesperson, **{field: value}) for value in reversed(values)}

    ascending = [lead.pk for lead in lead_list(user=salesperson, view="all", sort=sort)]
    descending = [lead.pk for lead in lead_list(user=salesperson, view="all", sort=f"-{sort}")]

    assert ascending == [leads[value].pk for value in values]
    assert descending == [leads[value].pk for value in reversed(values)]


def test_it_sorts_by_owner_last_first_and_user_name_case_ignored(salesperson: User) -> None:
    owners = [
        UserFactory(username="b", first_name="ann", last_name="smith"),
        UserFactory(username="a", first_name="Ann", last_name="Smith"),
        UserFactory(username="c", first_name="Zed", last_name="SMITH"),
        UserFactory(username="d", first_name="Al", last_name="Smithers"),
        UserFactory(username="e", first_name="Bo", last_name="abbot"),
    ]
    leads = [LeadFactory(owner=owner) for owner in owners]
    expected = [leads[4], leads[1], leads[0], leads[2], leads[3]]

    ascending = list(lead_list(user=salesperson, view="all", sort="owner"))
    descending = list(lead_list(user=salesperson, view="all", sort="-owner"))

    assert ascending == expected
    assert descending == expected[::-1]


def test_it_keeps_the_owner_sort_when_the_owner_is_renamed(salesperson: User) -> None:
    zed = UserFactory(username="zed", first_name="Zed", last_name="Zulu")
    abe = UserFactory(username="abe", first_name="Abe", last_name="Alpha")
    zeds, abes = LeadFactory(owner=zed), LeadFactory(owner=abe)
    assert list(lead_list(user=salesperson, view="all", sort="owner")) == [abes, zeds]

    zed.last_name = "Aaron"
    zed.save()
    abe.last_login = zed.date_joined
    abe.save(update_fields=["last_login"])  # not a rename: the leads are left alone

    assert list(lead_list(user=salesperson, view="all", sort="owner")) == [zeds, abes]
    assert Lead.objects.get(pk=zeds.pk).owner_sort == "aaron\x1fzed\x1fzed"


def test_it_keeps_the_owner_sort_when_a_lead_changes_owner(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    other = UserFactory(username="zed", first_name="Zed", last_name="Zulu")

    loaded = Lead.objects.get(pk=lead.pk)
    loaded.owner_id = other.pk
    loaded.save()

    assert Lead.objects.get(pk=lead.pk).owner_sort == "zulu\x1fzed\x1fzed"


def test_it_sorts_my_open_leads_by_owner_newest_first(salesperson: User) -> None:
    leads = LeadFactory.create_batch(3, owner=salesperson)

    ascending = list(lead_list(user=salesperson, view="my_open", sort="owner"))
    descending = list(lead_list(user=salesperson, view="my_open", sort="-owner"))

    assert ascending == descending == leads[::-1]
