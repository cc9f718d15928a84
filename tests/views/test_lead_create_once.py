"""The New Lead form carries a one-time token: posted twice (a double click, a resent request),
it creates one lead, and the second post shows that lead with a message."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from leads.forms import FORM_TOKEN_INVALID
from leads.models import Lead
from leads.services import LEAD_ALREADY_CREATED, LeadAlreadyCreatedError, lead_create
from leads.views.detail import LEAD_CREATED

pytestmark = pytest.mark.django_db
NEW = reverse("leads:lead-create")
TOKEN = re.compile(r'<input type="hidden" name="form_token" value="([0-9a-f-]{36})"')


def _token(client: Client) -> str:
    match = TOKEN.search(client.get(NEW).content.decode())
    assert match, "the New Lead form has its token"
    return match[1]


def _post(client: Client, token: str | None, **fields: str):
    data = {"topic": "Espresso machines", "last_name": "Nguyen", **fields}
    if token is not None:
        data["form_token"] = token
    return client.post(NEW, data)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_each_new_lead_form_gets_its_own_token(sales_client: Client) -> None:
    first, second = _token(sales_client), _token(sales_client)

    assert uuid.UUID(first) != uuid.UUID(second)


def test_it_creates_a_lead_from_the_form(sales_client: Client, salesperson: User) -> None:
    token = _token(sales_client)

    response = _post(sales_client, token)

    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == lead.get_absolute_url()
    assert _messages(response) == [LEAD_CREATED]
    assert (lead.topic, lead.owner, str(lead.creation_token)) == (
        "Espresso machines",
        salesperson,
        token,
    )


def test_the_same_form_posted_twice_creates_one_lead(sales_client: Client) -> None:
    token = _token(sales_client)
    first = _post(sales_client, token)

    second = _post(sales_client, token, topic="Typed again")

    lead = Lead.objects.get()
    assert lead.topic == "Espresso machines"
    assert second.status_code == 302 and second["Location"] == lead.get_absolute_url()
    assert first["Location"] == second["Location"]
    # The first post's message waits too: its redirect was never followed.
    assert _messages(second) == [LEAD_CREATED, LEAD_ALREADY_CREATED]
    page = sales_client.get(second["Location"]).content.decode()
    assert LEAD_ALREADY_CREATED == "This lead was already created: the form was sent twice."
    assert LEAD_ALREADY_CREATED in page
    assert "Espresso machines" in page


def test_two_new_lead_forms_create_two_leads(sales_client: Client) -> None:
    _post(sales_client, _token(sales_client))
    _post(sales_client, _token(sales_client))

    assert Lead.objects.count() == 2


def test_a_form_with_errors_keeps_its_token_and_creates_the_lead_once(
    sales_client: Client,
) -> None:
    token = _token(sales_client)

    refused = sales_client.post(NEW, {"form_token": token, "topic": "Espresso machines"})

    assert refused.status_code == 200
    assert f'name="form_token" value="{token}"' in refused.content.decode()
    assert not Lead.objects.exists()
    _post(sales_client, token)
    _post(sales_client, token)
    assert Lead.objects.count() == 1


def test_a_post_without_a_token_still_creates_a_lead(sales_client: Client) -> None:
    response = _post(sales_client, None)

    assert response.status_code == 302
    assert Lead.objects.get().creation_token is None


def test_it_refuses_a_changed_token_with_a_message(sales_client: Client) -> None:
    response = _post(sales_client, "not-a-token")

    assert response.status_code == 200
    assert FORM_TOKEN_INVALID in response.content.decode()
    assert not Lead.objects.exists()


def test_the_service_refuses_a_used_token_with_the_lead_it_created(salesperson: User) -> None:
    token = uuid.uuid4()
    created = lead_create(
        acting_user=salesperson, data={"last_name": "Nguyen", "topic": "A"}, creation_token=token
    )

    with pytest.raises(LeadAlreadyCreatedError) as error:
        lead_create(
            acting_user=salesperson, data={"last_name": "Other", "topic": "B"}, creation_token=token
        )

    assert error.value.lead == created
    assert error.value.message == LEAD_ALREADY_CREATED
    assert Lead.objects.count() == 1
