"""Every Qualify screen also works as a plain page."""

from __future__ import annotations

import pytest

from crm.models import Opportunity
from qualification.engine import (
    LEAD_CLOSED,
)
from qualification.models import Qualification
from tests.factories import AccountFactory
from tests.views.qualify.screens import (
    SALESPERSON,
    configure,
    qualify_url,
    screen_post,
)

pytestmark = pytest.mark.django_db


def test_it_renders_the_pane_as_a_page_and_redirects_without_javascript(sales_client, lead):
    configure(account_mode=SALESPERSON)

    body = sales_client.get(qualify_url(lead)).content.decode()

    assert "<html" in body and 'id="modal-root"' in body
    assert '<dialog class="sidepane qualify-pane in-page" open data-modal' in body
    assert "hx-post" not in body
    assert "data-close-dialog" not in body

    response = sales_client.post(qualify_url(lead), screen_post(lead))

    assert response.status_code == 302
    assert response["Location"] == Opportunity.objects.get().get_absolute_url()


def test_it_lists_search_results_and_adds_forms_without_javascript(sales_client, lead):
    configure(
        account_mode=SALESPERSON, opportunity_mode=SALESPERSON, allow_multiple_opportunities=True
    )
    AccountFactory(name="Northwind Traders", city="Oslo")
    data = screen_post(
        lead, **{"account-choice": "existing", "account-q": "North", "search": "account"}
    )

    body = sales_client.post(qualify_url(lead), data).content.decode()

    assert "<span>Northwind Traders</span>" in body
    assert Qualification.objects.count() == 0

    body = sales_client.post(
        qualify_url(lead), screen_post(lead, add_opportunity="1")
    ).content.decode()

    assert '<fieldset class="opportunity-form" id="opportunity-1">' in body
    assert 'name="opportunity-0-topic" value="Office chairs"' in body
    assert Qualification.objects.count() == 0

    body = sales_client.post(
        qualify_url(lead), screen_post(lead, remove_opportunity="0")
    ).content.decode()

    assert 'id="opportunity-0"' not in body
    assert Qualification.objects.count() == 0


def test_it_shows_the_automatic_dialog_with_a_button_without_javascript(sales_client, lead):
    body = sales_client.get(qualify_url(lead)).content.decode()

    assert 'hx-trigger="load"' not in body
    assert (
        '<button type="submit" name="action" value="qualify" class="primary">Qualify</button>'
        in body
    )


def test_it_shows_the_duplicate_dialog_and_messages_as_pages_without_javascript(
    sales_client, lead, other_salesperson
):
    fabrikam = AccountFactory(name="Fabrikam Inc", owner=other_salesperson)

    body = sales_client.post(qualify_url(lead), screen_post(lead)).content.decode()

    assert "<html" in body
    assert '<dialog class="qualify-duplicates in-page" open data-modal' in body
    response = sales_client.post(
        qualify_url(lead),
        screen_post(
            lead, duplicate_action="use", duplicate_types="account", duplicate_account=fabrikam.pk
        ),
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.parent_account == fabrikam

    body = sales_client.get(qualify_url(lead)).content.decode()

    assert '<dialog class="qualify-message in-page" open data-modal' in body
    assert LEAD_CLOSED in body
    assert f'<a class="button primary" role="button" href="{lead.get_absolute_url()}"' in body
