"""What the Qualify screens' view tests share: URLs, the post a screen sends, counts."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadState
from qualification.engine import (
    qualification_plan,
)
from qualification.forms import (
    QualifyForm,
)
from qualification.models import CreationMode, Qualification, QualificationSettings
from qualification.services import qualification_settings_update

HX = {"HTTP_HX_REQUEST": "true"}
SALESPERSON = CreationMode.SALESPERSON


def configure(**fields: object) -> QualificationSettings:
    return qualification_settings_update(
        qualification_settings=QualificationSettings.load(), **fields
    )


def qualify_url(lead: Lead) -> str:
    return reverse("qualification:lead-qualify", args=[lead.pk])


def opportunity_form_url(lead: Lead) -> str:
    return reverse("qualification:qualify-opportunity-form", args=[lead.pk])


def search_url(lead: Lead, record_type: str) -> str:
    return reverse("qualification:qualify-record-search", args=[lead.pk, record_type])


def counts() -> tuple[int, int, int, int]:
    return (
        Account.objects.count(),
        Contact.objects.count(),
        Opportunity.objects.count(),
        Qualification.objects.count(),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def screen_post(lead: Lead, **changes: Any) -> dict[str, Any]:
    """What the browser posts from the screen as first drawn (every prefilled value), changed."""
    form = QualifyForm(plan=qualification_plan(lead=lead))
    data: dict[str, Any] = {"screen": form.signature, "action": "qualify"}
    for section in form.sections:
        if section.form is not None:
            data[section.form.add_prefix("choice")] = section.form.fields["choice"].initial
            for bound in section.form.create_fields:
                data[bound.html_name] = _text(bound.value())
    if form.legacy is not None:
        data.update({bound.html_name: "on" for bound in form.legacy if bound.value()})
    if form.manual_opportunities:
        data["opportunities-shown"] = "1"
        data["opportunity-index"] = ["0"]
        data.update({bound.html_name: _text(bound.value()) for bound in form.opportunity_forms[0]})
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def opportunity_fields(index: int, topic: str, **fields: str) -> dict[str, str]:
    return {f"opportunity-{index}-topic": topic} | {
        f"opportunity-{index}-{name}": value for name, value in fields.items()
    }


def assert_nothing_written(lead: Lead, before: tuple[int, int, int, int]) -> None:
    assert counts() == before
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def client_redirect(response) -> str:
    assert response.status_code == 200, response.content.decode()
    return response["HX-Redirect"]
