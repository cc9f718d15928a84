"""The records every security test acts on, the database snapshot that proves a refused request
changed nothing, and the Qualify screen's post as a browser sends it.

Everything is built through factories and the services (qualify through the engine, disqualify
and reactivate through the lead services), the way real data comes about.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import models

from api.models import ApiToken, IdempotencyRecord
from crm.models import (
    Account,
    Contact,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
    PurchaseTimeframe,
    SalesStage,
    TimelineEntry,
)
from leads import services as lead_services
from leads.models import Lead, LeadOrigin, LeadStatus
from qualification.engine import lead_qualify, qualification_plan
from qualification.forms import QualifyForm
from qualification.models import (
    BulkJobStatus,
    BulkQualifyJob,
    FieldMapping,
    Qualification,
    QualificationOpportunity,
    QualificationSettings,
)
from qualification.services import qualification_settings_update
from tests.factories import AccountFactory, ContactFactory, LeadFactory, OpportunityFactory

# Every table a request could write to. A refused request must leave each row as it was
# (updated_at included, so a silent re-save shows up too).
SNAPSHOT_MODELS: tuple[type[models.Model], ...] = (
    Lead,
    Account,
    Contact,
    Opportunity,
    TimelineEntry,
    Qualification,
    QualificationOpportunity,
    LeadOrigin,
    QualificationSettings,
    FieldMapping,
    BulkQualifyJob,
    ApiToken,
    IdempotencyRecord,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a request could write to, in primary key order."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in SNAPSHOT_MODELS}


def snapshot_diff(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> list[str]:
    """What changed between two snapshots, readable in a failing assertion."""
    changes = []
    for label, rows in before.items():
        if len(rows) != len(after[label]):
            changes.append(f"{label}: {len(rows)} rows before, {len(after[label])} after")
            continue
        for old, new in zip(rows, after[label], strict=True):
            changed = {key: (old[key], new[key]) for key in old if old[key] != new[key]}
            if changed:
                changes.append(f"{label} #{old['id']}: {changed}")
    return changes


def configure(**fields: Any) -> QualificationSettings:
    """Change the qualification settings through their service (the combination is checked)."""
    return qualification_settings_update(
        qualification_settings=QualificationSettings.load(), **fields
    )


SIDE_PANE_SETTINGS: dict[str, Any] = {
    "account_mode": "salesperson",
    "contact_mode": "salesperson",
    "opportunity_mode": "salesperson",
    "allow_multiple_opportunities": True,
    "opportunity_quick_create_fields": [
        "topic",
        "budget_amount",
        "estimated_revenue",
        "estimated_close_date",
        "purchase_timeframe",
        "description",
    ],
}
LEGACY_DIALOG_SETTINGS: dict[str, Any] = {
    "experience": "legacy",
    "legacy_create_automatically": False,
}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def screen_post(lead: Lead, **changes: Any) -> dict[str, Any]:
    """What the browser posts from the Qualify screen as first drawn (every prefilled value),
    with `changes` applied; a change to None leaves the key out."""
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


def lead_form_post(lead: Lead, **changes: Any) -> dict[str, Any]:
    """The main lead form as the browser posts it for `lead`, with `changes` applied."""
    data = {name: _text(getattr(lead, name)) for name in lead_services.LEAD_FORM_FIELDS}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stage_form_post(lead: Lead, **changes: Any) -> dict[str, Any]:
    """The Qualify stage flyout as the browser posts it for `lead`, with `changes` applied."""
    data: dict[str, Any] = {
        "existing_account": _text(lead.existing_account_id),
        "existing_contact": _text(lead.existing_contact_id),
        "purchase_timeframe": lead.purchase_timeframe,
        "budget_amount": _text(lead.budget_amount),
        "purchase_process": lead.purchase_process,
        "qualification_comments": lead.qualification_comments,
    }
    if lead.decision_maker:
        data["decision_maker"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@dataclass
class World:
    sam: User  # the salesperson who sends every request unless a case says otherwise
    olga: User  # another salesperson
    admin: User  # staff with Django admin
    lead: Lead  # Sam's open lead, with a company and the Qualify stage filled in
    others_lead: Lead  # Olga's open lead
    others_closed_lead: Lead  # Olga's disqualified lead
    disqualified_lead: Lead  # Sam's, disqualified
    qualified_lead: Lead  # Sam's, qualified through the engine
    reactivated_lead: Lead  # Sam's, qualified then reactivated: open, with an opportunity
    account: Account  # an existing account anyone may pick
    contact: Contact  # an existing contact anyone may pick
    opportunity: Opportunity  # Sam's, open, at Develop (the qualified lead's)
    close_opportunity: Opportunity  # Sam's, open, at Close
    won_opportunity: Opportunity  # Sam's, won
    others_opportunity: Opportunity  # Olga's, open, at Develop
    sam_account: Account  # Sam's account, nothing pointing at it
    sam_duplicate: Account  # Sam's second account, a duplicate of sam_account
    sam_contact: Contact  # Sam's contact, nothing pointing at it
    sam_duplicate_contact: Contact  # Sam's second contact, a duplicate of sam_contact
    failed_job: BulkQualifyJob  # Sam's background bulk qualify that failed (resumable)
    done_job: BulkQualifyJob  # Sam's finished one
    others_job: BulkQualifyJob  # Olga's failed one


def _named(first_name: str, last_name: str) -> dict[str, str]:
    """Fixed, unlike names: random ones (the factory's) at one email domain can be similar
    enough for duplicate detection to stop a qualify here."""
    return {"first_name": first_name, "last_name": last_name}


def world_build(*, sam: User, olga: User, admin: User) -> World:
    QualificationSettings.load()  # the singleton exists before any snapshot is taken
    lead = LeadFactory(
        owner=sam,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        company_name="Fabrikam Furniture",
        email="nina.novak@fabrikam.example",
        website="https://www.fabrikam.example",
        budget_amount=Decimal("12500.00"),
        purchase_timeframe=PurchaseTimeframe.THIS_QUARTER,
    )
    others_lead = LeadFactory(owner=olga, company_name="Olga's Own Ltd", **_named("Oscar", "Owen"))
    others_closed_lead = LeadFactory(
        owner=olga, company_name="Olga's Closed Ltd", **_named("Clara", "Cole")
    )
    lead_services.lead_disqualify(lead=others_closed_lead, reason=LeadStatus.LOST, acting_user=olga)
    disqualified_lead = LeadFactory(
        owner=sam, company_name="Gone Quiet Ltd", **_named("Gus", "Grey")
    )
    lead_services.lead_disqualify(
        lead=disqualified_lead, reason=LeadStatus.CANNOT_CONTACT, acting_user=sam
    )
    qualified_lead = LeadFactory(
        owner=sam, company_name="Contoso Qualified", **_named("Quinn", "Quade")
    )
    result = lead_qualify(lead_id=qualified_lead.pk, acting_user=sam)
    reactivated_lead = LeadFactory(
        owner=sam, company_name="Tailspin Again", **_named("Ray", "Reyes")
    )
    lead_qualify(lead_id=reactivated_lead.pk, acting_user=sam)
    lead_services.lead_reactivate(lead=reactivated_lead, acting_user=sam)
    for record in (others_closed_lead, disqualified_lead, qualified_lead, reactivated_lead):
        record.refresh_from_db()
    return World(
        sam=sam,
        olga=olga,
        admin=admin,
        lead=lead,
        others_lead=others_lead,
        others_closed_lead=others_closed_lead,
        disqualified_lead=disqualified_lead,
        qualified_lead=qualified_lead,
        reactivated_lead=reactivated_lead,
        account=AccountFactory(name="Northwind Traders", owner=olga),
        contact=ContactFactory(first_name="Ada", last_name="Lovelace", owner=olga),
        opportunity=result.primary_opportunity,
        close_opportunity=OpportunityFactory(owner=sam, stage=SalesStage.CLOSE),
        won_opportunity=OpportunityFactory(
            owner=sam,
            stage=SalesStage.CLOSE,
            state=OpportunityState.WON,
            status_reason=OpportunityStatus.WON,
        ),
        others_opportunity=OpportunityFactory(owner=olga),
        sam_account=AccountFactory(name="Sam's Contoso", owner=sam),
        sam_duplicate=AccountFactory(name="SAM'S CONTOSO", owner=sam),
        sam_contact=ContactFactory(first_name="Nancy", last_name="Davolio", owner=sam),
        sam_duplicate_contact=ContactFactory(first_name="Nancy", last_name="DAVOLIO", owner=sam),
        failed_job=_bulk_job(sam, [lead.pk], BulkJobStatus.FAILED),
        done_job=_bulk_job(sam, [lead.pk], BulkJobStatus.DONE),
        others_job=_bulk_job(olga, [others_lead.pk], BulkJobStatus.FAILED),
    )


def _bulk_job(user: User, lead_ids: list[int], status: str) -> BulkQualifyJob:
    return BulkQualifyJob.objects.create(
        created_by=user, lead_ids=lead_ids, total=len(lead_ids), status=status
    )
