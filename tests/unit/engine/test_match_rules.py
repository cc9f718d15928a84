"""Each duplicate rule through the one engine: a single qualify stops with the match and its
reason for the duplicate dialog; a bulk qualify links a clear match or leaves the lead for
review saying why; the admin's switch turns the rule off in both; and the bulk query count
stays the same whatever the number of leads."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Account, Contact, Opportunity
from leads.models import Lead
from qualification.engine import (
    BulkOptions,
    DuplicatesFoundError,
    lead_qualify,
    leads_bulk_qualify,
)
from qualification.models import RecordType
from tests.factories import AccountFactory, ContactFactory, LeadFactory
from tests.unit.engine.conftest import configure

pytestmark = pytest.mark.django_db

NO_ACCOUNT = {"company_name": "", "website": ""}

# (rule switch, existing record, lead values, the record type, why, bulk links it)
RULES = [
    (
        "match_account_by_name",
        lambda: AccountFactory(name="Fabrikam Ltd", website="", phone=""),
        {"company_name": "FABRIKAM, Inc.", "website": "", "business_phone": ""},
        RecordType.ACCOUNT,
        "same name",
        True,
    ),
    (
        "match_account_by_similar_name",
        lambda: AccountFactory(name="Fabrikamm", website="", phone=""),
        {"company_name": "Fabrikam, Inc.", "website": "", "business_phone": ""},
        RecordType.ACCOUNT,
        "similar name 0.94",
        False,
    ),
    (
        "match_account_by_domain",
        lambda: AccountFactory(name="Other", website="https://fabrikam.example", phone=""),
        {"company_name": "Fabrikam", "website": "http://www.fabrikam.example"},
        RecordType.ACCOUNT,
        "same domain",
        True,
    ),
    (
        "match_account_by_phone",
        lambda: AccountFactory(name="Other", website="", phone="+1 (555) 100-2000"),
        {"company_name": "Fabrikam", "website": "", "business_phone": "555 100 2000"},
        RecordType.ACCOUNT,
        "same phone",
        True,
    ),
    (
        "match_contact_by_email",
        lambda: ContactFactory(first_name="Ann", last_name="Lee", email="NINA@fabrikam.example"),
        {**NO_ACCOUNT, "email": "nina@fabrikam.example"},
        RecordType.CONTACT,
        "same email",
        True,
    ),
    (
        "match_contact_by_phone",
        lambda: ContactFactory(
            first_name="Ann", last_name="Lee", email="", business_phone="+44 20 7946 0958"
        ),
        {**NO_ACCOUNT, "email": "", "business_phone": "", "mobile_phone": "020 7946 0958"},
        RecordType.CONTACT,
        "same phone",
        False,  # a company's main line is everyone's business phone there
    ),
    (
        "match_contact_by_name",
        lambda: ContactFactory(first_name="Nina", last_name="Novack", email="n@fabrikam.example"),
        {**NO_ACCOUNT, "first_name": "Nina", "last_name": "Novak", "email": "x@fabrikam.example"},
        RecordType.CONTACT,
        "similar name 0.95 + same email domain",
        True,
    ),
    (
        "match_contact_by_reversed_name",
        lambda: ContactFactory(first_name="Nina", last_name="Novak", email="n@fabrikam.example"),
        {**NO_ACCOUNT, "first_name": "", "last_name": "Novak, Nina", "email": "x@fabrikam.example"},
        RecordType.CONTACT,
        "same name written \u201cLast, First\u201d + same email domain",
        True,
    ),
]
IDS = [rule[0] for rule in RULES]


def _lead(user, values):
    defaults = {
        "first_name": "Zed",
        "last_name": "Unmatched",
        "email": "",
        "business_phone": "",
        "mobile_phone": "",
    }
    return LeadFactory(owner=user, **{**defaults, **values})


@pytest.mark.parametrize(("switch", "existing", "values", "kind", "why", "links"), RULES, ids=IDS)
def test_each_rule_feeds_the_duplicate_dialog(user, switch, existing, values, kind, why, links):
    record = existing()
    lead = _lead(user, values)

    with pytest.raises(DuplicatesFoundError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    rows = raised.value.account_rows if kind == RecordType.ACCOUNT else raised.value.contact_rows
    assert rows == [(record, why)]


@pytest.mark.parametrize(("switch", "existing", "values", "kind", "why", "links"), RULES, ids=IDS)
def test_each_rule_feeds_bulk_qualify(user, switch, existing, values, kind, why, links):
    record = existing()
    lead = _lead(user, values)

    outcome = leads_bulk_qualify(lead_ids=[lead.pk], acting_user=user, options=BulkOptions())

    if links:
        assert outcome.qualified_ids == [lead.pk]
        lead.refresh_from_db()
        linked = lead.parent_account if kind == RecordType.ACCOUNT else lead.parent_contact
        assert linked == record
    else:
        [review] = outcome.needs_review
        assert review.lead_id == lead.pk
        assert f"({record}: {why})" in review.reason
        assert review.reason.startswith(f"An existing {kind.label.lower()} may match")


@pytest.mark.parametrize(("switch", "existing", "values", "kind", "why", "links"), RULES, ids=IDS)
def test_each_rule_has_an_off_switch(user, switch, existing, values, kind, why, links):
    # The exact-name rule is a case of the similar one: "off" means both name rules off.
    names = {"match_account_by_name", "match_account_by_similar_name"}
    configure(**dict.fromkeys(names if switch in names else {switch}, False))
    existing()
    lead = _lead(user, values)
    model = Account if kind == RecordType.ACCOUNT else Contact
    before = model.objects.count()

    outcome = leads_bulk_qualify(lead_ids=[lead.pk], acting_user=user, options=BulkOptions())

    assert outcome.qualified_ids == [lead.pk]
    assert model.objects.count() == before + 1


def test_it_never_matches_asa_depape_to_casa_depapel(user):
    depapel = AccountFactory(name="Casa Depapel", website="", phone="")
    ContactFactory(first_name="Casa", last_name="Depapel", email="", account=depapel)
    lead = _lead(user, {"first_name": "Asa", "last_name": "Depape", "company_name": "Asa Depape"})

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.account_created and result.contact_created


def test_an_accent_or_apostrophe_never_prevents_a_match(user):
    account = AccountFactory(name="Cafe O'Neil", website="", phone="")
    twin = ContactFactory(first_name="José", last_name="O\u2019Brien", email="", account=account)
    lead = _lead(user, {"first_name": "Jose", "last_name": "OBrien", "company_name": "Café ONeil"})

    with pytest.raises(DuplicatesFoundError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert raised.value.account_rows == [(account, "same name")]
    assert raised.value.contact_rows == [(twin, "same name + same company")]


def _bulk_queries(owner: User, count: int) -> int:
    account = AccountFactory(name="Vendor", website="https://vendor.example", phone="")
    ContactFactory(first_name="Ann", last_name="Lee", account=account)
    leads = [
        LeadFactory(
            owner=owner,
            first_name="Ann",
            last_name=f"Lee{n}",
            company_name=f"Vendr {n}",  # similar-name candidates for every lead
            email=f"ann{n}@vendor.example",
            business_phone=f"+1 555 200 {n:04}",
            website="",
        )
        for n in range(count)
    ]
    ContentType.objects.get_for_models(Lead, Opportunity)
    acting_user = User.objects.get(pk=owner.pk)
    with CaptureQueriesContext(connection) as captured:
        leads_bulk_qualify(
            lead_ids=[lead.pk for lead in leads], acting_user=acting_user, options=BulkOptions()
        )
    return len(captured.captured_queries)


def test_every_rule_keeps_the_bulk_query_count_constant(salesperson):
    ten = _bulk_queries(salesperson, 10)
    for model in (Lead, Opportunity, Contact, Account):
        model.objects.all().delete()

    two_hundred = _bulk_queries(salesperson, 200)

    assert two_hundred == ten
