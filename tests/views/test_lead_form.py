from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from crm.models import TimelineEntry
from leads.models import Lead, LeadState
from leads.services import LEAD_CLOSED_READ_ONLY
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Every test creates users; the default hasher makes each one cost half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _detail(lead: Lead) -> str:
    return reverse("leads:lead-detail", args=[lead.pk])


def _stage(lead: Lead) -> str:
    return reverse("leads:lead-stage-edit", args=[lead.pk])


def _form_data(lead: Lead, **changes: str) -> dict[str, str]:
    data = {
        "topic": lead.topic,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company_name": lead.company_name,
        "email": lead.email,
    }
    return {**data, **changes}


# Create ---------------------------------------------------------------------------------------


def test_it_shows_the_new_lead_form_with_the_spec_labels(sales_client: Client) -> None:
    response = sales_client.get(reverse("leads:lead-create"))

    html = response.content.decode()
    assert response.status_code == 200
    for label in (
        "Topic",
        "First Name",
        "Last Name",
        "Job Title",
        "Business Phone",
        "Mobile Phone",
        "Email",
        "Company Name",
        "Website",
        "Street 1",
        "Street 2",
        "Street 3",
        "City",
        "State/Province",
        "ZIP/Postal Code",
        "Country/Region",
        "Industry",
        "Description",
        "Lead Source",
        "Rating",
    ):
        pattern = rf'<label for="id_\w+"( class="required")?>{re.escape(label)}</label>'
        assert re.search(pattern, html), label
    for group in ("Contact", "Company", "Details"):
        assert f"<legend>{group}</legend>" in html
    assert "Sam Seller" in html  # Owner shown


def test_it_creates_a_lead(sales_client: Client, salesperson: User) -> None:
    response = sales_client.post(
        reverse("leads:lead-create"),
        {"topic": "Coffee machines", "last_name": "Lee", "lead_source": "web", "rating": "hot"},
    )

    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response.url == _detail(lead)
    assert (lead.owner, lead.state, lead.rating) == (salesperson, LeadState.OPEN, "hot")


def test_it_keeps_typed_values_and_shows_errors_next_to_fields(sales_client: Client) -> None:
    response = sales_client.post(
        reverse("leads:lead-create"),
        {"topic": "", "last_name": "Lee", "city": "Oslo", "email": "not-an-email"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert not Lead.objects.exists()
    assert re.search(r'id="id_topic">\s*<ul class="errorlist" id="id_topic_error">', html)
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    assert 'value="Oslo"' in html
    assert 'value="Lee"' in html


def test_it_refuses_new_leads_to_users_without_the_add_permission(client: Client) -> None:
    client.force_login(UserFactory(username="visitor"))

    assert client.get(reverse("leads:lead-create")).status_code == 403


# Edit -----------------------------------------------------------------------------------------


def test_it_requires_login(client: Client) -> None:
    lead = LeadFactory()

    response = client.get(_detail(lead))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_404s_for_a_missing_lead(sales_client: Client) -> None:
    assert sales_client.get(reverse("leads:lead-detail", args=[999])).status_code == 404


def test_it_shows_the_lead_form(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee", topic="Espresso")

    response = sales_client.get(_detail(lead))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<form id="lead-form" method="post"' in html
    assert 'value="Espresso"' in html
    assert '<span class="badge badge-open">New</span>' in html
    assert 'aria-label="Process bar"' in html
    assert '<section id="timeline"' in html
    # Qualify is a button that saves the form first (then=qualify), see test_lead_form_commands.
    assert re.search(
        r'<button type="submit" class="command" form="lead-form" name="then" value="qualify" '
        rf'data-save-first\s+hx-post="{_detail(lead)}"',
        html,
    )
    assert '<button type="submit" class="command" form="lead-form">Save</button>' in html


def test_it_saves_the_lead(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_detail(lead), _form_data(lead, topic="New topic", city="Oslo"))

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.topic, lead.city) == ("New topic", "Oslo")


def test_it_keeps_typed_values_on_a_failed_save(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, topic="Stored topic")

    response = sales_client.post(
        _detail(lead), _form_data(lead, last_name="", job_title="Typed title")
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Typed title"' in html
    assert re.search(r'id="id_last_name">\s*<ul class="errorlist"', html)
    lead.refresh_from_db()
    assert lead.job_title != "Typed title"


def test_it_shows_another_salespersons_lead_read_only(
    sales_client: Client, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, topic="Their topic")

    response = sales_client.get(_detail(lead))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Their topic" in html
    assert 'name="topic"' not in html
    assert "This lead belongs to Olga Other. You can view it but not change it." in html
    assert (
        '<button type="button" class="command" aria-disabled="true" '
        'title="Only the owner or a sales manager can qualify this lead.">Qualify</button>'
    ) in html
    assert "Add note" not in html


def test_it_403s_a_save_on_another_salespersons_lead(
    sales_client: Client, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, topic="Kept")

    response = sales_client.post(_detail(lead), _form_data(lead, topic="Changed"))

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.topic == "Kept"


def test_it_lets_a_manager_save_any_lead(
    client: Client, manager: User, other_salesperson: User
) -> None:
    client.force_login(manager)
    lead = LeadFactory(owner=other_salesperson)

    response = client.post(_detail(lead), _form_data(lead, topic="By the manager"))

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.topic == "By the manager"


@pytest.mark.parametrize("trait", ["qualified", "disqualified"])
def test_it_shows_a_closed_lead_read_only(
    sales_client: Client, salesperson: User, trait: str
) -> None:
    lead = LeadFactory(owner=salesperson, topic="Closed topic", **{trait: True})

    html = sales_client.get(_detail(lead)).content.decode()

    assert "This lead is closed. Reactivate it to make changes." in html
    assert "<input" not in html.split('<section id="lead-main"')[1].split("</section>")[0]
    assert 'name="topic"' not in html
    assert "Closed topic" in html
    reactivate = reverse("leads:lead-reactivate", args=[lead.pk])
    assert f'action="{reactivate}"' in html
    assert '<button type="button" class="command" aria-disabled="true"' in html
    assert 'form="lead-form"' not in html


def test_it_refuses_a_save_on_a_closed_lead(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, topic="Kept", disqualified=True)

    response = sales_client.post(_detail(lead), _form_data(lead, topic="Changed"), follow=True)

    assert LEAD_CLOSED_READ_ONLY in response.content.decode()
    lead.refresh_from_db()
    assert lead.topic == "Kept"


def test_it_refuses_a_post_without_a_csrf_token(salesperson: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)
    lead = LeadFactory(owner=salesperson, topic="Kept")

    response = client.post(_detail(lead), _form_data(lead, topic="Changed"))

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.topic == "Kept"


# Process bar and the Qualify stage flyout -----------------------------------------------------


def test_it_shows_the_process_bar_on_qualify(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    html = sales_client.get(_detail(lead)).content.decode()

    bar = html.split('<section id="process-bar"')[1].split("</section>")[0]
    # The stage is a button (a GET form without JavaScript) that opens the flyout.
    assert re.search(
        rf'<li class="active">\s*<form method="get" action="{_stage(lead)}">\s*'
        r'<button type="submit" class="stage"',
        bar,
    )
    for stage in ("Develop", "Propose", "Close"):
        assert f"</span>{stage}</span>" in bar
    assert 'aria-disabled="true" aria-describedby="next-stage-hint"' in bar
    assert "Next Stage" in bar
    assert "Qualify the lead to move to Develop" in bar


def test_it_shows_a_qualified_lead_with_its_opportunity(
    sales_client: Client, salesperson: User
) -> None:
    account = AccountFactory(name="Contoso")
    opportunity = OpportunityFactory(topic="50 machines", customer_account=account)
    lead = LeadFactory(
        owner=salesperson,
        qualified=True,
        parent_account=account,
        qualifying_opportunity=opportunity,
    )

    html = sales_client.get(_detail(lead)).content.decode()

    assert re.search(
        r'<li class="done">\s*<form method="get"[^>]*>\s*<button[^>]*class="stage"', html
    )
    assert re.search(r'<li class="active">\s*<span class="button stage" aria-current="step">', html)
    assert f'<a class="button" href="{opportunity.get_absolute_url()}">Open opportunity</a>' in html
    assert f'<a href="{account.get_absolute_url()}">Contoso</a>' in html
    assert "Next Stage" not in html


@pytest.mark.parametrize("links", [0, 1, 3])
def test_a_closed_lead_reads_each_record_it_links_to_once(
    sales_client: Client, salesperson: User, django_assert_num_queries, links: int
) -> None:
    """The lead and its owner in one query (joining the other five links cost more to plan
    than reading the set ones), then one query per linked record the page shows."""
    account = AccountFactory(name="Contoso")
    records = {
        "parent_account": account,
        "parent_contact": ContactFactory(account=account),
        "qualifying_opportunity": OpportunityFactory(customer_account=account),
    }
    chosen = dict(list(records.items())[:links])
    lead = LeadFactory(owner=salesperson, qualified=True, **chosen)
    sales_client.get(_detail(lead))  # the timeline's content type, then cached

    with django_assert_num_queries(5 + links):
        html = sales_client.get(_detail(lead)).content.decode()

    for record in chosen.values():
        assert f'href="{record.get_absolute_url()}"' in html


def test_it_opens_the_qualify_flyout(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.get(_stage(lead), **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="stage-flyout">')
    for label in (
        "Existing Contact",
        "Existing Account",
        "Purchase Timeframe",
        "Budget Amount",
        "Purchase Process",
        "Decision Maker identified",
        "Qualification Comments",
    ):
        assert re.search(rf'<label for="id_\w+">{label}</label>', html), label
    for step in ("Estimated Budget", "Identify Decision Maker", "Capture Summary"):
        assert f'<span class="step-name">{step}</span>' in html
    assert f'hx-post="{_stage(lead)}" hx-target="#process-bar"' in html


def test_it_opens_the_flyout_in_the_page_without_javascript(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)

    html = sales_client.get(_stage(lead)).content.decode()

    assert "<html" in html
    assert 'id="stage-flyout-panel"' in html
    assert '<form id="lead-form"' in html


def test_it_lists_a_limited_number_of_accounts_in_the_flyout(
    sales_client: Client, salesperson: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("leads.selectors.LOOKUP_LIMIT", 5)
    owner = UserFactory()
    AccountFactory.create_batch(8, owner=owner)
    chosen = AccountFactory(name="Zzz Last", city="Oslo", owner=owner)
    lead = LeadFactory(owner=salesperson, existing_account=chosen)

    html = sales_client.get(_stage(lead), **HTMX).content.decode()

    select = html.split('<select name="existing_account"')[1].split("</select>")[0]
    assert select.count("<option") == 1 + 1 + 5  # empty, the chosen one, five more
    assert f'<option value="{chosen.pk}" selected>Zzz Last · Oslo</option>' in select


def test_it_saves_the_qualify_steps_and_closes_the_flyout(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)
    account = AccountFactory()
    contact = ContactFactory()

    response = sales_client.post(
        _stage(lead),
        {
            "existing_account": account.pk,
            "existing_contact": contact.pk,
            "purchase_timeframe": "next_quarter",
            "budget_amount": "12000.00",
            "purchase_process": "individual",
            "decision_maker": "on",
            "qualification_comments": "Decides in May",
        },
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="process-bar"')
    assert "stage-flyout-panel" not in html
    assert "7/7" in html
    assert json.loads(response["HX-Trigger"]) == {"leadStageSaved": {"id": lead.pk}}
    lead.refresh_from_db()
    assert lead.purchase_timeframe == "next_quarter"
    assert lead.existing_account == account
    assert lead.existing_contact == contact
    assert lead.decision_maker is True


def test_it_saves_the_qualify_steps_without_javascript(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_stage(lead), {"purchase_timeframe": "immediate"})

    assert response.status_code == 302
    assert response.url == _detail(lead)
    lead.refresh_from_db()
    assert lead.purchase_timeframe == "immediate"


def test_it_shows_qualify_step_errors_in_the_flyout(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(
        _stage(lead),
        {
            "budget_amount": "-5",
            "purchase_timeframe": "this_year",
            "qualification_comments": "Typed",
            "existing_account": "999999",
        },
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="stage-flyout-panel"' in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert "Select a valid choice." in html
    assert 'value="-5"' in html
    assert '<option value="this_year" selected>This Year</option>' in html
    assert "Typed</textarea>" in html
    lead.refresh_from_db()
    assert (lead.budget_amount, lead.purchase_timeframe) == (None, "")


def test_it_refuses_qualify_steps_on_a_closed_lead(sales_client: Client, salesperson) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True)

    response = sales_client.post(_stage(lead), {"purchase_timeframe": "immediate"}, **HTMX)

    assert LEAD_CLOSED_READ_ONLY in response.content.decode()
    lead.refresh_from_db()
    assert lead.purchase_timeframe == ""


def test_it_shows_the_qualify_steps_read_only_on_a_closed_lead(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True, purchase_timeframe="immediate")

    html = sales_client.get(_stage(lead), **HTMX).content.decode()

    assert '<form method="post"' not in html
    assert "<dt>Purchase Timeframe</dt><dd>Immediate</dd>" in html


def test_it_403s_qualify_steps_on_another_salespersons_lead(
    sales_client: Client, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson)

    response = sales_client.post(_stage(lead), {"purchase_timeframe": "immediate"}, **HTMX)

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.purchase_timeframe == ""


def test_it_404s_an_unknown_lookup(sales_client: Client) -> None:
    assert sales_client.get(reverse("leads:lead-lookup", args=["user"])).status_code == 404


# Timeline -------------------------------------------------------------------------------------


def test_it_adds_a_note(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(
        reverse("leads:lead-note-add", args=[lead.pk]),
        {"note-title": "Called", "note-body": "Wants a demo"},
        **HTMX,
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="timeline"')
    assert "Wants a demo" in html
    assert TimelineEntry.objects.get().title == "Called"


def test_it_refuses_an_empty_note(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(reverse("leads:lead-note-add", args=[lead.pk]), {}, **HTMX)

    assert "Write a title or a note, or attach a file." in response.content.decode()
    assert not TimelineEntry.objects.exists()


def test_it_refuses_a_note_on_a_closed_lead(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, disqualified=True)

    response = sales_client.post(
        reverse("leads:lead-note-add", args=[lead.pk]), {"note-title": "Late"}
    )

    assert LEAD_CLOSED_READ_ONLY in response.content.decode()
    assert not TimelineEntry.objects.exists()


def test_it_403s_a_note_on_another_salespersons_lead(
    sales_client: Client, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson)

    response = sales_client.post(
        reverse("leads:lead-note-add", args=[lead.pk]), {"note-title": "Mine now"}
    )

    assert response.status_code == 403
    assert not TimelineEntry.objects.exists()
