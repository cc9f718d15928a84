"""URLs of the opportunity page's endpoints, shared by the opportunity view tests."""

from __future__ import annotations

from django.urls import reverse

from crm.models import Opportunity

HTMX = {"HX-Request": "true"}


def stage_url(opportunity: Opportunity, stage: str) -> str:
    return reverse("crm:opportunity-stage-edit", args=[opportunity.pk, stage])


def next_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-stage-next", args=[opportunity.pk])


def previous_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-stage-previous", args=[opportunity.pk])


def note_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-note-add", args=[opportunity.pk])


def edit_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-edit", args=[opportunity.pk])


def close_url(opportunity: Opportunity, state: str) -> str:
    return reverse("crm:opportunity-close", args=[opportunity.pk, state])


def reopen_url(opportunity: Opportunity) -> str:
    return reverse("crm:opportunity-reopen", args=[opportunity.pk])
