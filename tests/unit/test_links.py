"""crm.links finds what points at accounts and contacts from the models' _meta, including the
links declared in higher apps that crm never imports."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.test.utils import isolate_apps

from crm.links import record_links, unique_keys_over
from crm.models import Account, Contact, Opportunity, TimelineEntry
from leads.models import Lead, LeadOrigin
from qualification.models import Qualification


def links_of(model) -> dict[tuple[str, str], object]:
    return {(link.model._meta.label, link.column): link for link in record_links(model)}


def test_it_finds_every_link_to_an_account_in_lock_order() -> None:
    assert list(links_of(Account)) == [
        ("crm.Contact", "account_id"),
        ("crm.Opportunity", "account_id"),
        ("crm.Opportunity", "customer_account_id"),
        ("crm.TimelineEntry", "object_id"),
        ("leads.Lead", "existing_account_id"),
        ("leads.Lead", "parent_account_id"),
        ("leads.LeadOrigin", "account_id"),
        ("qualification.Qualification", "account_id"),
    ]


def test_it_finds_every_link_to_a_contact() -> None:
    assert list(links_of(Contact)) == [
        ("crm.Opportunity", "contact_id"),
        ("crm.Opportunity", "customer_contact_id"),
        ("crm.TimelineEntry", "object_id"),
        ("leads.Lead", "existing_contact_id"),
        ("leads.Lead", "parent_contact_id"),
        ("leads.LeadOrigin", "contact_id"),
        ("qualification.Qualification", "contact_id"),
    ]


def test_a_one_to_one_link_allows_one_row_per_record() -> None:
    links = links_of(Account)

    assert links[("leads.LeadOrigin", "account_id")].unique_keys == ((),)
    assert links[("crm.Contact", "account_id")].unique_keys == ()


def test_the_timeline_is_a_generic_link_narrowed_to_the_record_type() -> None:
    link = links_of(Account)[("crm.TimelineEntry", "object_id")]

    assert link.model is TimelineEntry
    assert link.generic_type_column == "content_type_id"


def test_open_rows_come_from_the_models_and_protect_blocks_with_every_row() -> None:
    links = links_of(Account)

    assert links[("crm.Opportunity", "customer_account_id")].open_rows == Q()
    assert links[("crm.Opportunity", "account_id")].open_rows == Opportunity.links_block_delete_when
    assert links[("leads.Lead", "existing_account_id")].open_rows == Lead.links_block_delete_when
    assert links[("leads.LeadOrigin", "account_id")].open_rows is None
    assert links[("qualification.Qualification", "account_id")].open_rows is None
    assert LeadOrigin in {link.model for link in record_links(Contact)}
    assert Qualification in {link.model for link in record_links(Contact)}


@isolate_apps("crm")
def test_a_unique_constraint_over_a_link_gives_its_other_columns() -> None:
    class Membership(models.Model):
        account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
        role = models.CharField(max_length=10)
        other = models.CharField(max_length=10)

        class Meta:
            app_label = "crm"
            unique_together = [("account", "role")]
            constraints = [
                models.UniqueConstraint(fields=["account", "other"], name="one_other"),
                models.UniqueConstraint(fields=["role", "other"], name="unrelated"),
            ]

        def __str__(self) -> str:
            return self.role

    assert unique_keys_over(Membership, {"account"}) == (("role",), ("other",))


@isolate_apps("crm")
def test_a_conditional_unique_constraint_over_a_link_is_refused() -> None:
    class Primary(models.Model):
        account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
        primary = models.BooleanField()

        class Meta:
            app_label = "crm"
            constraints = [
                models.UniqueConstraint(
                    fields=["account"], condition=Q(primary=True), name="one_primary"
                )
            ]

        def __str__(self) -> str:
            return str(self.primary)

    with pytest.raises(ImproperlyConfigured, match=r"crm\.Primary\.one_primary"):
        unique_keys_over(Primary, {"account"})
