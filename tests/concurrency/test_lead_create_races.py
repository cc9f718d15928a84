"""One New Lead form posted several times at once (a double click on a slow connection): one
lead; every post lands on it, the later ones with "This lead was already created"."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from leads.models import Lead
from leads.services import LEAD_ALREADY_CREATED
from leads.views.detail import LEAD_CREATED
from tests.concurrency.tools import POSTGRES_ONLY, run_together
from tests.factories import UserFactory

pytestmark = POSTGRES_ONLY

ROUNDS = 10
POSTS = 5


def _post(client: Client, token: str, n: int) -> Callable[[], tuple[str, str]]:
    def post() -> tuple[str, str]:
        response = client.post(
            reverse("leads:lead-create"),
            {"form_token": token, "topic": f"Espresso machines ({n})", "last_name": "Nguyen"},
        )
        assert response.status_code == 302
        *_earlier, message = [str(message) for message in get_messages(response.wsgi_request)]
        return response["Location"], message

    return post


def test_one_form_posted_at_once_many_times_creates_one_lead(capsys):
    owner = UserFactory(salesperson=True)
    clients = []
    for _ in range(POSTS):
        client = Client()
        client.force_login(owner)
        clients.append(client)
    messages: Counter[str] = Counter()

    for _ in range(ROUNDS):
        token = str(uuid.uuid4())
        outcomes = run_together(*[_post(client, token, n) for n, client in enumerate(clients)])
        assert [outcome.error for outcome in outcomes] == [None] * POSTS
        lead = Lead.objects.get(creation_token=token)
        assert {outcome.value[0] for outcome in outcomes} == {lead.get_absolute_url()}
        messages.update(outcome.value[1] for outcome in outcomes)

    with capsys.disabled():
        print(
            f"\n{ROUNDS} rounds of {POSTS} posts of one New Lead form: "
            f"{Lead.objects.count()} leads, {messages[LEAD_CREATED]} 'Lead created.', "
            f"{messages[LEAD_ALREADY_CREATED]} 'already created'"
        )
    assert Lead.objects.count() == ROUNDS
    assert messages == {LEAD_CREATED: ROUNDS, LEAD_ALREADY_CREATED: ROUNDS * (POSTS - 1)}
