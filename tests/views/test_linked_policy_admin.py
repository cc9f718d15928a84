"""Django admin: each mapping's policy for linked records (the default mappings' too), and the
qualification audit listing what a qualify changed on the records it linked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from qualification.engine import lead_qualify
from qualification.models import FieldMapping, LinkedPolicy
from qualification.services import LINKED_POLICY_OPPORTUNITY, field_mapping_create
from tests.factories import AccountFactory, LeadFactory

pytestmark = pytest.mark.django_db

MAPPING_LIST = reverse("admin:qualification_fieldmapping_changelist")


@pytest.fixture
def admin_client(client: Client, admin_user) -> Client:
    client.force_login(admin_user)
    return client


def _list_post(mapping: FieldMapping, policy: str) -> dict[str, str]:
    return {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(mapping.pk),
        "form-0-linked_policy": policy,
        "_save": "Save",
    }


def test_the_list_shows_and_edits_the_policy_of_a_default_mapping(admin_client):
    city = FieldMapping.objects.get(target="account", target_field="city")

    page = admin_client.get(MAPPING_LIST)
    saved = admin_client.post(MAPPING_LIST, _list_post(city, LinkedPolicy.OVERWRITE))

    assert 'name="form-0-linked_policy"' in page.content.decode()
    assert "When linking to an existing record" in page.content.decode()
    assert saved.status_code == 302
    city.refresh_from_db()
    assert city.linked_policy == LinkedPolicy.OVERWRITE
    assert (city.source_field, city.is_default) == ("city", True)


def test_an_opportunity_mapping_keeps_its_policy(admin_client):
    topic = FieldMapping.objects.get(target="opportunity", target_field="topic")

    admin_client.post(MAPPING_LIST, _list_post(topic, LinkedPolicy.NEVER))

    topic.refresh_from_db()
    assert topic.linked_policy == LinkedPolicy.FILL_EMPTY


def test_an_added_mapping_takes_its_policy_on_its_change_page(admin_client):
    added = field_mapping_create(
        target="account", source_field="description", target_field="description"
    )
    url = reverse("admin:qualification_fieldmapping_change", args=[added.pk])
    data = {"target": "account", "source_field": "description", "target_field": "description"}

    saved = admin_client.post(url, data | {"linked_policy": LinkedPolicy.NEVER})

    assert saved.status_code == 302
    added.refresh_from_db()
    assert added.linked_policy == LinkedPolicy.NEVER


def test_a_new_opportunity_mapping_refuses_a_policy(admin_client):
    data = {"target": "opportunity", "source_field": "description", "target_field": "description"}
    FieldMapping.objects.filter(target="opportunity", target_field="description").delete()

    response = admin_client.post(
        reverse("admin:qualification_fieldmapping_add"), data | {"linked_policy": "overwrite"}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert LINKED_POLICY_OPPORTUNITY in str(errors)
    assert not FieldMapping.objects.filter(target="opportunity", target_field="description")


def test_the_audit_shows_what_was_changed_on_the_linked_account(admin_client, admin_user):
    account = AccountFactory(name="Contoso", city="", website="")
    lead = LeadFactory(existing_account=account, city="Springfield", company_name="")
    result = lead_qualify(lead_id=lead.pk, acting_user=admin_user)

    page = admin_client.get(
        reverse("admin:qualification_qualification_change", args=[result.qualification.pk])
    )

    html = page.content.decode()
    assert "Changed on linked records" in html
    assert (
        f'<tr><td><a href="{account.get_absolute_url()}">Contoso</a></td><td>City</td>'
        "<td>(empty)</td><td>Springfield</td></tr>"
    ) in html


def test_a_default_mappings_change_page_edits_only_its_policy(admin_client):
    phone = FieldMapping.objects.get(target="account", target_field="phone")
    url = reverse("admin:qualification_fieldmapping_change", args=[phone.pk])

    page = admin_client.get(url)
    saved = admin_client.post(url, {"linked_policy": LinkedPolicy.NEVER, "source_field": "email"})

    assert 'name="linked_policy"' in page.content.decode()
    assert saved.status_code == 302
    phone.refresh_from_db()
    assert (phone.linked_policy, phone.source_field) == (LinkedPolicy.NEVER, "business_phone")


def test_a_default_opportunity_mapping_refuses_a_policy_on_its_page(admin_client):
    topic = FieldMapping.objects.get(target="opportunity", target_field="topic")
    url = reverse("admin:qualification_fieldmapping_change", args=[topic.pk])

    response = admin_client.post(url, {"linked_policy": LinkedPolicy.OVERWRITE})

    assert response.status_code == 200
    assert LINKED_POLICY_OPPORTUNITY in str(response.context["adminform"].form.errors)
    topic.refresh_from_db()
    assert topic.linked_policy == LinkedPolicy.FILL_EMPTY
