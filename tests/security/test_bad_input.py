"""Bad input on every form and endpoint that writes: each case gets a clear error (the message in
the page, or the status the view answers with) and changes nothing in the database.

One table, one row per case. A row names the request (who sends it, where, what), what the
answer must be, and the settings it runs under. The test snapshots every table a request could
write to before the request and compares after: counts, the leads' state and every field.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.services.errors import (
    ACCOUNT_NAME_REQUIRED,
    ACTUAL_CLOSE_DATE_REQUIRED,
    ACTUAL_REVENUE_REQUIRED,
    CONTACT_LAST_NAME_REQUIRED,
    FUTURE_STAGE_READ_ONLY,
    MERGE_NOT_ALLOWED,
    MERGE_RECORD_GONE,
    MERGE_SAME_RECORD,
    MERGE_SOURCE_INVALID,
    MERGE_TOO_FEW,
    OPPORTUNITY_CHANGE_FORBIDDEN,
    OPPORTUNITY_NOT_CLOSED,
    OPPORTUNITY_TOPIC_REQUIRED,
)
from crm.services.records import (
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_FIRST_STAGE,
    OPPORTUNITY_LAST_STAGE,
)
from crm.services.timeline import TIMELINE_NOTE_EMPTY
from leads.forms import SELECT_LEADS_FIRST
from leads.models import Lead
from leads.services import (
    LEAD_ALREADY_DELETED,
    LEAD_CLOSED,
    LEAD_CLOSED_READ_ONLY,
    LEAD_DELETE_NOT_ALLOWED,
    LEAD_HAS_OPPORTUNITY,
    LEAD_NOT_CLOSED,
    LEAD_NOT_YOURS,
)
from qualification.engine import (
    EXISTING_NOT_FOUND,
    LEAD_ALREADY_QUALIFIED,
    LEAD_NOT_OWNED,
    OPPORTUNITY_NEEDS_CUSTOMER,
    REQUIRED,
    TOO_MANY_OPPORTUNITIES,
)
from qualification.engine.linked import BAD_CHOICE, NOT_MAPPED
from qualification.forms import CHOOSE_ONE, PICK_DUPLICATE, SETTINGS_CHANGED
from qualification.models import QualificationSettings
from qualification.services import (
    QUICK_CREATE_TWICE,
    SETTINGS_DUPLICATES_NEED_A_RULE,
    SETTINGS_MULTIPLE_NEEDS_SALESPERSON,
)
from qualification.tasks import BULK_JOB_NOT_RESUMABLE
from tests.factories import AccountFactory, ContactFactory
from tests.security.world import (
    LEGACY_DIALOG_SETTINGS,
    SIDE_PANE_SETTINGS,
    World,
    configure,
    lead_form_post,
    screen_post,
    snapshot,
    snapshot_diff,
    stage_form_post,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
MISSING = 999_999  # an id no record has
HUGE = "9" * 30  # an id beyond any database integer
TOO_LONG_TOPIC = "T" * 301
ATTACHMENT_LIMIT = 1024

# Django's own messages for field errors (the forms keep them).
MSG_REQUIRED = "This field is required."
MSG_CHOICE = "Select a valid choice."
MSG_NUMBER = "Enter a number."
MSG_WHOLE_NUMBER = "Enter a whole number."
MSG_DATE = "Enter a valid date."
MSG_EMAIL = "Enter a valid email address."
MSG_URL = "Enter a valid URL."
MSG_NOT_NEGATIVE = "Ensure this value is greater than or equal to 0."
MSG_AT_MOST_1E12 = "Ensure this value is less than or equal to 1000000000000."
# 1e13 has more whole digits than the money column holds (15 digits, 2 of them decimals).
MSG_TOO_MANY_DIGITS = "Ensure that there are no more than 13 digits before the decimal point."
MSG_TOPIC_TOO_LONG = "Ensure this value has at most 300 characters (it has 301)."
MSG_SELECTION = "The selection is not valid."
MSG_NONE_EXISTS = "None of the selected leads exists any more."


@dataclass(frozen=True)
class Case:
    """One bad request and the answer it must get."""

    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    status: int = 200
    # Text the answer must show (after following a redirect); a tuple accepts any one of them.
    message: str | tuple[str, ...] | None = None
    htmx: bool = False
    user: str = "sam"
    # Runs before the snapshot: qualification settings, limits.
    setup: Callable[[World, Any], None] | None = None


def lead_url(name: str, attr: str = "lead") -> Callable[[World], str]:
    return lambda w: reverse(f"leads:{name}", args=[getattr(w, attr).pk])


def missing_lead_url(name: str) -> Callable[[World], str]:
    return lambda w: reverse(f"leads:{name}", args=[MISSING])


def opportunity_url(name: str, attr: str = "opportunity") -> Callable[[World], str]:
    return lambda w: reverse(f"crm:{name}", args=[getattr(w, attr).pk])


def stage_url(attr: str, stage: str) -> Callable[[World], str]:
    return lambda w: reverse("crm:opportunity-stage-edit", args=[getattr(w, attr).pk, stage])


def close_url(state: str, attr: str = "opportunity") -> Callable[[World], str]:
    return lambda w: reverse("crm:opportunity-close", args=[getattr(w, attr).pk, state])


def record_url(name: str, attr: str) -> Callable[[World], str]:
    return lambda w: reverse(f"crm:{name}", args=[getattr(w, attr).pk])


def qualify_url(attr: str = "lead") -> Callable[[World], str]:
    return lambda w: reverse("qualification:lead-qualify", args=[getattr(w, attr).pk])


def url(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name)


def side_pane(world: World, settings: Any) -> None:
    configure(**SIDE_PANE_SETTINGS)


def side_pane_with_duplicates(world: World, settings: Any) -> None:
    """The side pane for a lead whose company and email already exist: Qualify asks first."""
    configure(**SIDE_PANE_SETTINGS)
    AccountFactory(name=world.lead.company_name, owner=world.olga)
    ContactFactory(first_name="Nina", last_name="Novak", email=world.lead.email, owner=world.olga)


def legacy_dialog(world: World, settings: Any) -> None:
    configure(**LEGACY_DIALOG_SETTINGS)


def small_attachments(world: World, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = ATTACHMENT_LIMIT


def too_large_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("big.pdf", b"%" * (ATTACHMENT_LIMIT + 1), "application/pdf")


def pane_post(attr: str = "lead", **changes: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: screen_post(getattr(w, attr), **changes)


def opportunity_rows(count: int) -> dict[str, Any]:
    rows: dict[str, Any] = {"opportunity-index": [str(index) for index in range(count)]}
    for index in range(1, count):
        rows[f"opportunity-{index}-topic"] = f"Deal {index}"
    return rows


def selection(*attrs: str, **extra: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: {
        "lead_ids": [getattr(w, attr).pk for attr in attrs],
        "view": "all",
        "q": "",
        **extra,
    }


def admin_settings(**changes: Any) -> Callable[[World], dict[str, Any]]:
    """The settings change form as the admin posts it, with the defaults filled in."""
    data: dict[str, Any] = {
        "experience": "new",
        "legacy_create_automatically": "on",
        "account_mode": "automatic",
        "contact_mode": "automatic",
        "opportunity_mode": "automatic",
        "detect_duplicates": "on",
        "match_account_by_name": "on",
        "match_account_by_domain": "on",
        "match_contact_by_email": "on",
        "match_contact_by_name": "on",
        "opportunity_quick_create_fields": ["estimated_revenue", "estimated_close_date"],
    }
    data.update(changes)
    return lambda w: {key: value for key, value in data.items() if value is not None}


def admin_settings_url(world: World) -> str:
    return reverse(
        "admin:qualification_qualificationsettings_change",
        args=[QualificationSettings.load().pk],
    )


CASES: dict[str, Case] = {
    # Lead create -------------------------------------------------------------------------------
    "create-blank-fields": Case(
        url("leads:lead-create"), lambda w: {"topic": "", "last_name": ""}, message=MSG_REQUIRED
    ),
    "create-empty-post": Case(url("leads:lead-create"), message=MSG_REQUIRED),
    "create-topic-too-long": Case(
        url("leads:lead-create"),
        lambda w: {"topic": TOO_LONG_TOPIC, "last_name": "Novak"},
        message=MSG_TOPIC_TOO_LONG,
    ),
    "create-bad-email": Case(
        url("leads:lead-create"),
        lambda w: {"topic": "Chairs", "last_name": "Novak", "email": "nina@"},
        message=MSG_EMAIL,
    ),
    "create-javascript-website": Case(
        url("leads:lead-create"),
        lambda w: {"topic": "Chairs", "last_name": "Novak", "website": "javascript:alert(1)"},
        message=MSG_URL,
    ),
    "create-unknown-lead-source": Case(
        url("leads:lead-create"),
        lambda w: {"topic": "Chairs", "last_name": "Novak", "lead_source": "carrier_pigeon"},
        message=MSG_CHOICE,
    ),
    "create-rating-wrong-type": Case(
        url("leads:lead-create"),
        lambda w: {"topic": "Chairs", "last_name": "Novak", "rating": "99"},
        message=MSG_CHOICE,
    ),
    "create-last-name-too-long": Case(
        url("leads:lead-create"),
        lambda w: {"topic": "Chairs", "last_name": "N" * 51},
        message="Ensure this value has at most 50 characters (it has 51).",
    ),
    # Lead edit ---------------------------------------------------------------------------------
    "edit-topic-blank": Case(
        lead_url("lead-detail"), lambda w: lead_form_post(w.lead, topic="  "), message=MSG_REQUIRED
    ),
    "edit-topic-too-long": Case(
        lead_url("lead-detail"),
        lambda w: lead_form_post(w.lead, topic=TOO_LONG_TOPIC),
        message=MSG_TOPIC_TOO_LONG,
    ),
    "edit-bad-email": Case(
        lead_url("lead-detail"),
        lambda w: lead_form_post(w.lead, email="not an email"),
        message=MSG_EMAIL,
    ),
    "edit-javascript-website": Case(
        lead_url("lead-detail"),
        lambda w: lead_form_post(w.lead, website="javascript:alert(1)"),
        message=MSG_URL,
    ),
    "edit-unknown-need": Case(
        lead_url("lead-detail"),
        lambda w: lead_form_post(w.lead, need="desperately"),
        message=MSG_CHOICE,
    ),
    "edit-closed-lead": Case(
        lead_url("lead-detail", "disqualified_lead"),
        lambda w: lead_form_post(w.disqualified_lead, topic="Reopened by stealth"),
        status=302,
        message=LEAD_CLOSED_READ_ONLY,
    ),
    "edit-others-lead": Case(
        lead_url("lead-detail", "others_lead"),
        lambda w: lead_form_post(w.others_lead, topic="Mine now"),
        status=403,
    ),
    "edit-missing-lead": Case(
        missing_lead_url("lead-detail"), lambda w: lead_form_post(w.lead), status=404
    ),
    # Qualify stage flyout ------------------------------------------------------------------------
    "stage-negative-budget": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, budget_amount="-1"),
        message=MSG_NOT_NEGATIVE,
        htmx=True,
    ),
    "stage-budget-1e13": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, budget_amount="1e13"),
        message=MSG_TOO_MANY_DIGITS,
        htmx=True,
    ),
    "stage-budget-just-above-1e12": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, budget_amount="1000000000000.01"),
        message=MSG_AT_MOST_1E12,
        htmx=True,
    ),
    "stage-non-numeric-budget": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, budget_amount="lots"),
        message=MSG_NUMBER,
        htmx=True,
    ),
    "stage-missing-existing-account": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, existing_account=str(MISSING)),
        message=MSG_CHOICE,
        htmx=True,
    ),
    "stage-huge-existing-account": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, existing_account=HUGE),
        message=MSG_CHOICE,
        htmx=True,
    ),
    "stage-non-integer-existing-contact": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, existing_contact="ada"),
        message=MSG_CHOICE,
        htmx=True,
    ),
    "stage-unknown-timeframe": Case(
        lead_url("lead-stage-edit"),
        lambda w: stage_form_post(w.lead, purchase_timeframe="someday"),
        message=MSG_CHOICE,
        htmx=True,
    ),
    "stage-closed-lead": Case(
        lead_url("lead-stage-edit", "disqualified_lead"),
        lambda w: stage_form_post(w.disqualified_lead, budget_amount="10"),
        message=LEAD_CLOSED_READ_ONLY,
        htmx=True,
    ),
    "stage-others-lead": Case(
        lead_url("lead-stage-edit", "others_lead"),
        lambda w: stage_form_post(w.others_lead, budget_amount="10"),
        status=403,
        htmx=True,
    ),
    # Notes on a lead -----------------------------------------------------------------------------
    "note-empty": Case(
        lead_url("lead-note-add"),
        lambda w: {"note-title": " ", "note-body": "\n"},
        message=TIMELINE_NOTE_EMPTY,
        htmx=True,
    ),
    "note-title-too-long": Case(
        lead_url("lead-note-add"),
        lambda w: {"note-title": "N" * 201, "note-body": "body"},
        message="Ensure this value has at most 200 characters (it has 201).",
        htmx=True,
    ),
    "note-attachment-too-large": Case(
        lead_url("lead-note-add"),
        lambda w: {"note-title": "Spec", "note-attachment": too_large_file()},
        message="The attachment is too large: files up to 1.0\xa0KB are accepted.",
        htmx=True,
        setup=small_attachments,
    ),
    "note-closed-lead": Case(
        lead_url("lead-note-add", "disqualified_lead"),
        lambda w: {"note-title": "Late note", "note-body": "text"},
        message=LEAD_CLOSED_READ_ONLY,
        htmx=True,
    ),
    "note-others-lead": Case(
        lead_url("lead-note-add", "others_lead"),
        lambda w: {"note-title": "Hi", "note-body": "text"},
        status=403,
        htmx=True,
    ),
    "note-missing-lead": Case(
        missing_lead_url("lead-note-add"), lambda w: {"note-title": "Hi"}, status=404
    ),
    # Disqualify one lead -------------------------------------------------------------------------
    "disqualify-unknown-reason": Case(
        lead_url("lead-disqualify"), lambda w: {"reason": "bored"}, message=MSG_CHOICE, htmx=True
    ),
    "disqualify-no-reason": Case(lead_url("lead-disqualify"), message=MSG_REQUIRED, htmx=True),
    "disqualify-reason-of-another-state": Case(
        lead_url("lead-disqualify"), lambda w: {"reason": "qualified"}, message=MSG_CHOICE
    ),
    "disqualify-closed-lead": Case(
        lead_url("lead-disqualify", "disqualified_lead"),
        lambda w: {"reason": "lost"},
        message=LEAD_CLOSED,
        htmx=True,
    ),
    "disqualify-qualified-lead": Case(
        lead_url("lead-disqualify", "qualified_lead"),
        lambda w: {"reason": "lost"},
        message=LEAD_CLOSED,
        htmx=True,
    ),
    "disqualify-lead-with-opportunity": Case(
        lead_url("lead-disqualify", "reactivated_lead"),
        lambda w: {"reason": "lost"},
        message=LEAD_HAS_OPPORTUNITY,
        htmx=True,
    ),
    "disqualify-others-lead": Case(
        lead_url("lead-disqualify", "others_lead"), lambda w: {"reason": "lost"}, status=403
    ),
    "disqualify-missing-lead": Case(
        missing_lead_url("lead-disqualify"), lambda w: {"reason": "lost"}, status=404
    ),
    # Disqualify from the grid --------------------------------------------------------------------
    "bulk-disqualify-unknown-reason": Case(
        url("leads:lead-bulk-disqualify"),
        selection("lead", reason="bored"),
        message=MSG_CHOICE,
        htmx=True,
    ),
    "bulk-disqualify-non-integer-ids": Case(
        url("leads:lead-bulk-disqualify"),
        lambda w: {"lead_ids": ["1; DROP TABLE leads_lead"], "view": "all", "reason": "lost"},
        message=SELECT_LEADS_FIRST,
        htmx=True,
    ),
    "bulk-disqualify-nothing-selected": Case(
        url("leads:lead-bulk-disqualify"),
        lambda w: {"view": "all", "reason": "lost"},
        message=SELECT_LEADS_FIRST,
        htmx=True,
    ),
    "bulk-disqualify-missing-ids": Case(
        url("leads:lead-bulk-disqualify"),
        lambda w: {"lead_ids": [MISSING], "view": "all", "reason": "lost"},
        message=MSG_NONE_EXISTS,
        htmx=True,
    ),
    "bulk-disqualify-others-leads": Case(
        url("leads:lead-bulk-disqualify"),
        selection("others_lead", reason="lost"),
        message=LEAD_NOT_YOURS,
        htmx=True,
    ),
    "bulk-disqualify-closed-leads": Case(
        url("leads:lead-bulk-disqualify"),
        selection("disqualified_lead", "qualified_lead", reason="lost"),
        message=LEAD_CLOSED,
        htmx=True,
    ),
    "bulk-disqualify-lead-with-opportunity": Case(
        url("leads:lead-bulk-disqualify"),
        selection("reactivated_lead", reason="lost"),
        message=LEAD_HAS_OPPORTUNITY,
        htmx=True,
    ),
    "bulk-disqualify-unknown-view": Case(
        url("leads:lead-bulk-disqualify"),
        lambda w: {"select_all_matching": "1", "view": "everything", "reason": "lost"},
        message=(MSG_CHOICE, MSG_SELECTION),
        htmx=True,
    ),
    # Reactivate ----------------------------------------------------------------------------------
    "reactivate-open-lead": Case(lead_url("lead-reactivate"), status=302, message=LEAD_NOT_CLOSED),
    "reactivate-others-closed-lead": Case(
        lead_url("lead-reactivate", "others_closed_lead"), status=403
    ),
    "reactivate-missing-lead": Case(missing_lead_url("lead-reactivate"), status=404),
    "bulk-reactivate-open-leads": Case(
        url("leads:lead-bulk-reactivate"),
        selection("lead", "others_lead"),
        message=LEAD_NOT_CLOSED,
        htmx=True,
    ),
    "bulk-reactivate-others-closed-lead": Case(
        url("leads:lead-bulk-reactivate"),
        selection("others_closed_lead"),
        message=LEAD_NOT_YOURS,
        htmx=True,
    ),
    "bulk-reactivate-non-integer-ids": Case(
        url("leads:lead-bulk-reactivate"),
        lambda w: {"lead_ids": ["abc"], "view": "closed"},
        message=SELECT_LEADS_FIRST,
        htmx=True,
    ),
    # Delete --------------------------------------------------------------------------------------
    "delete-others-lead": Case(lead_url("lead-delete", "others_lead"), status=403),
    # A lead that is not there may have been deleted a moment ago: the grid says so.
    "delete-missing-lead": Case(
        missing_lead_url("lead-delete"), status=302, message=LEAD_ALREADY_DELETED
    ),
    "bulk-delete-others-lead": Case(
        url("leads:lead-bulk-delete"),
        selection("others_lead", "others_closed_lead", confirm="1"),
        message=LEAD_DELETE_NOT_ALLOWED,
        htmx=True,
    ),
    "bulk-delete-non-integer-ids": Case(
        url("leads:lead-bulk-delete"),
        lambda w: {"lead_ids": ["1.5"], "view": "all", "confirm": "1"},
        message=SELECT_LEADS_FIRST,
        htmx=True,
    ),
    "bulk-delete-unconfirmed": Case(
        url("leads:lead-bulk-delete"),
        selection("lead", confirm="yes"),
        message="Delete permanently",
        htmx=True,
    ),
    # Qualify: the side pane ----------------------------------------------------------------------
    "pane-topic-too-long": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-topic": TOO_LONG_TOPIC}),
        message=MSG_TOPIC_TOO_LONG,
        htmx=True,
        setup=side_pane,
    ),
    "pane-topic-blank": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-topic": ""}),
        message=REQUIRED,
        htmx=True,
        setup=side_pane,
    ),
    "pane-negative-budget": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-budget_amount": "-0.01"}),
        message=MSG_NOT_NEGATIVE,
        htmx=True,
        setup=side_pane,
    ),
    "pane-budget-1e13": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-budget_amount": "10000000000000"}),
        message=MSG_TOO_MANY_DIGITS,
        htmx=True,
        setup=side_pane,
    ),
    "pane-non-numeric-budget": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-budget_amount": "twelve grand"}),
        message=MSG_NUMBER,
        htmx=True,
        setup=side_pane,
    ),
    "pane-non-numeric-revenue": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-estimated_revenue": "1,2,3"}),
        message=MSG_NUMBER,
        htmx=True,
        setup=side_pane,
    ),
    "pane-bad-close-date": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-estimated_close_date": "2026-02-30"}),
        message=MSG_DATE,
        htmx=True,
        setup=side_pane,
    ),
    "pane-unknown-timeframe": Case(
        qualify_url(),
        pane_post(**{"opportunity-0-purchase_timeframe": "never"}),
        message=MSG_CHOICE,
        htmx=True,
        setup=side_pane,
    ),
    "pane-six-opportunities": Case(
        qualify_url(),
        pane_post(**opportunity_rows(6)),
        message=TOO_MANY_OPPORTUNITIES.format(max=5),
        htmx=True,
        setup=side_pane,
    ),
    "pane-missing-existing-account": Case(
        qualify_url(),
        pane_post(**{"account-choice": "existing", "account-existing": str(MISSING)}),
        message=EXISTING_NOT_FOUND.format(record="account"),
        htmx=True,
        setup=side_pane,
    ),
    "pane-non-integer-existing-account": Case(
        qualify_url(),
        pane_post(**{"account-choice": "existing", "account-existing": "1 OR 1=1"}),
        message=MSG_WHOLE_NUMBER,
        htmx=True,
        setup=side_pane,
    ),
    # "²" is a digit to str.isdigit() but not to int(): once a 500.
    "pane-superscript-existing-account": Case(
        qualify_url(),
        pane_post(**{"account-choice": "existing", "account-existing": "²"}),
        message=MSG_WHOLE_NUMBER,
        htmx=True,
        setup=side_pane,
    ),
    "pane-superscript-opportunity-index": Case(
        qualify_url(),
        pane_post(**{"opportunity-index": ["0", "²"], "opportunity-0-topic": ""}),
        message=REQUIRED,
        htmx=True,
        setup=side_pane,
    ),
    "pane-superscript-remove-opportunity": Case(
        qualify_url(),
        pane_post(**{"remove_opportunity": "²", "opportunity-0-topic": ""}),
        message=REQUIRED,
        htmx=True,
        setup=side_pane,
    ),
    "pane-huge-existing-account": Case(
        qualify_url(),
        pane_post(**{"account-choice": "existing", "account-existing": HUGE}),
        message=EXISTING_NOT_FOUND.format(record="account"),
        htmx=True,
        setup=side_pane,
    ),
    # The merge preview's per-field choices: a field no mapping writes, a choice that is neither
    # keep nor take.
    "pane-merge-unmapped-field": Case(
        qualify_url(),
        lambda w: screen_post(
            w.lead,
            **{
                "account-choice": "existing",
                "account-existing": str(w.account.pk),
                "account-merge-record": str(w.account.pk),
                "account-merge-owner": "take",
            },
        ),
        message=NOT_MAPPED.format(field="owner", record="account"),
        htmx=True,
        setup=side_pane,
    ),
    "pane-merge-bad-choice": Case(
        qualify_url(),
        lambda w: screen_post(
            w.lead,
            **{
                "account-choice": "existing",
                "account-existing": str(w.account.pk),
                "account-merge-record": str(w.account.pk),
                "account-merge-city": "both",
            },
        ),
        message=BAD_CHOICE.format(field="City"),
        htmx=True,
        setup=side_pane,
    ),
    "pane-missing-existing-contact": Case(
        qualify_url(),
        pane_post(**{"contact-choice": "existing", "contact-existing": str(MISSING)}),
        message=EXISTING_NOT_FOUND.format(record="contact"),
        htmx=True,
        setup=side_pane,
    ),
    "pane-unknown-choice": Case(
        qualify_url(),
        pane_post(**{"account-choice": "steal"}),
        message=MSG_CHOICE,
        htmx=True,
        setup=side_pane,
    ),
    "pane-no-choice": Case(
        qualify_url(),
        pane_post(**{"contact-choice": None}),
        message=CHOOSE_ONE,
        htmx=True,
        setup=side_pane,
    ),
    "pane-bad-contact-email": Case(
        qualify_url(),
        pane_post(**{"contact-email": "nina at fabrikam"}),
        message=MSG_EMAIL,
        htmx=True,
        setup=side_pane,
    ),
    "pane-javascript-account-website": Case(
        qualify_url(),
        pane_post(**{"account-website": "javascript:alert(1)"}),
        message=MSG_URL,
        htmx=True,
        setup=side_pane,
    ),
    "pane-account-name-blank": Case(
        qualify_url(),
        pane_post(**{"account-name": ""}),
        message=REQUIRED,
        htmx=True,
        setup=side_pane,
    ),
    "pane-stale-screen": Case(
        qualify_url(),
        pane_post(screen="legacy:salesperson:salesperson:salesperson:1:company"),
        message=SETTINGS_CHANGED,
        htmx=True,
        setup=side_pane,
    ),
    "pane-duplicate-dialog-missing-pick": Case(
        qualify_url(),
        pane_post(
            duplicate_action="use", duplicate_types="account", duplicate_account=str(MISSING)
        ),
        message=EXISTING_NOT_FOUND.format(record="account"),
        htmx=True,
        setup=side_pane_with_duplicates,
    ),
    "pane-duplicate-dialog-huge-pick": Case(
        qualify_url(),
        pane_post(duplicate_action="use", duplicate_types="contact", duplicate_contact=HUGE),
        message=EXISTING_NOT_FOUND.format(record="contact"),
        htmx=True,
        setup=side_pane_with_duplicates,
    ),
    "pane-duplicate-dialog-no-pick": Case(
        qualify_url(),
        pane_post(duplicate_action="use", duplicate_types="account,contact"),
        message=PICK_DUPLICATE,
        htmx=True,
        setup=side_pane_with_duplicates,
    ),
    "pane-disqualified-lead": Case(
        qualify_url("disqualified_lead"),
        lambda w: {"screen": "x", "action": "qualify"},
        message=LEAD_CLOSED,
        htmx=True,
        setup=side_pane,
    ),
    "pane-qualified-lead": Case(
        qualify_url("qualified_lead"),
        lambda w: {"screen": "x", "action": "qualify"},
        message=LEAD_ALREADY_QUALIFIED,
        htmx=True,
        setup=side_pane,
    ),
    "pane-others-lead": Case(
        qualify_url("others_lead"), pane_post("others_lead"), status=403, setup=side_pane
    ),
    "pane-missing-lead": Case(
        lambda w: reverse("qualification:lead-qualify", args=[MISSING]),
        lambda w: {"screen": "x"},
        status=404,
        setup=side_pane,
    ),
    # Qualify: the legacy dialog ------------------------------------------------------------------
    "legacy-missing-existing-account": Case(
        qualify_url(),
        pane_post(**{"account-choice": "existing", "account-existing": str(MISSING)}),
        message=EXISTING_NOT_FOUND.format(record="account"),
        htmx=True,
        setup=legacy_dialog,
    ),
    "legacy-huge-existing-account": Case(
        qualify_url(),
        pane_post(**{"account-choice": "existing", "account-existing": HUGE}),
        message=EXISTING_NOT_FOUND.format(record="account"),
        htmx=True,
        setup=legacy_dialog,
    ),
    "legacy-missing-existing-contact": Case(
        qualify_url(),
        pane_post(**{"contact-choice": "existing", "contact-existing": str(MISSING)}),
        message=EXISTING_NOT_FOUND.format(record="contact"),
        htmx=True,
        setup=legacy_dialog,
    ),
    "legacy-opportunity-without-customer": Case(
        qualify_url(),
        pane_post(create_account=None, create_contact=None),
        message=OPPORTUNITY_NEEDS_CUSTOMER,
        htmx=True,
        setup=legacy_dialog,
    ),
    "legacy-no-screen-signature": Case(
        qualify_url(),
        pane_post(screen=None),
        message=SETTINGS_CHANGED,
        htmx=True,
        setup=legacy_dialog,
    ),
    "legacy-closed-lead": Case(
        qualify_url("disqualified_lead"),
        lambda w: {"action": "qualify", "create_account": "on"},
        message=LEAD_CLOSED,
        htmx=True,
        setup=legacy_dialog,
    ),
    "legacy-others-lead": Case(
        qualify_url("others_lead"),
        lambda w: {"action": "qualify", "create_account": "on"},
        status=403,
        setup=legacy_dialog,
    ),
    # Bulk qualify --------------------------------------------------------------------------------
    "bulk-qualify-others-leads": Case(
        url("qualification:bulk-qualify"),
        selection("others_lead", confirm="1", create_account="on", create_contact="on"),
        message=LEAD_NOT_OWNED,
        htmx=True,
    ),
    "bulk-qualify-closed-leads": Case(
        url("qualification:bulk-qualify"),
        selection("disqualified_lead", "qualified_lead", confirm="1", create_contact="on"),
        message=LEAD_CLOSED,
        htmx=True,
    ),
    "bulk-qualify-non-integer-ids": Case(
        url("qualification:bulk-qualify"),
        lambda w: {"lead_ids": ["x"], "view": "all", "confirm": "1", "create_contact": "on"},
        message=SELECT_LEADS_FIRST,
        htmx=True,
    ),
    "bulk-qualify-nothing-selected": Case(
        url("qualification:bulk-qualify"),
        lambda w: {"view": "all", "confirm": "1"},
        message=SELECT_LEADS_FIRST,
        htmx=True,
    ),
    "bulk-qualify-missing-ids": Case(
        url("qualification:bulk-qualify"),
        lambda w: {"lead_ids": [MISSING], "view": "all", "confirm": "1"},
        message=MSG_NONE_EXISTS,
        htmx=True,
    ),
    "bulk-qualify-unknown-view": Case(
        url("qualification:bulk-qualify"),
        lambda w: {"select_all_matching": "1", "view": "everything", "confirm": "1"},
        message=(MSG_CHOICE, MSG_SELECTION),
        htmx=True,
    ),
    "bulk-job-resume-done": Case(
        lambda w: reverse("qualification:bulk-job-detail", args=[w.done_job.pk]),
        message=BULK_JOB_NOT_RESUMABLE,
    ),
    "bulk-job-resume-others": Case(
        lambda w: reverse("qualification:bulk-job-detail", args=[w.others_job.pk]), status=404
    ),
    "bulk-job-resume-missing": Case(
        lambda w: reverse("qualification:bulk-job-detail", args=[MISSING]), status=404
    ),
    # The opportunity's process bar ---------------------------------------------------------------
    "stage-edit-future-stage": Case(
        stage_url("opportunity", "close"),
        lambda w: {"send_thank_you": "on"},
        message=FUTURE_STAGE_READ_ONLY,
        htmx=True,
    ),
    "stage-edit-unknown-stage": Case(
        stage_url("opportunity", "qualify"), lambda w: {"customer_need": "x"}, status=404
    ),
    "stage-edit-bad-decision-date": Case(
        stage_url("close_opportunity", "close"),
        lambda w: {"decision_date": "31/31/2026"},
        message=MSG_DATE,
        htmx=True,
    ),
    "stage-edit-won-opportunity": Case(
        stage_url("won_opportunity", "close"),
        lambda w: {"send_thank_you": "on"},
        message=OPPORTUNITY_CLOSED,
        htmx=True,
    ),
    "stage-edit-others-opportunity": Case(
        stage_url("others_opportunity", "develop"),
        lambda w: {"customer_need": "Mine now"},
        status=403,
        message=OPPORTUNITY_CHANGE_FORBIDDEN,
        htmx=True,
    ),
    "stage-edit-missing-opportunity": Case(
        lambda w: reverse("crm:opportunity-stage-edit", args=[MISSING, "develop"]),
        lambda w: {"customer_need": "x"},
        status=404,
    ),
    "next-stage-from-close": Case(
        opportunity_url("opportunity-stage-next", "close_opportunity"),
        message=OPPORTUNITY_LAST_STAGE,
        htmx=True,
    ),
    "next-stage-won": Case(
        opportunity_url("opportunity-stage-next", "won_opportunity"),
        status=302,
        message=OPPORTUNITY_CLOSED,
    ),
    "next-stage-others": Case(
        opportunity_url("opportunity-stage-next", "others_opportunity"),
        status=403,
        message=OPPORTUNITY_CHANGE_FORBIDDEN,
    ),
    "previous-stage-from-develop": Case(
        opportunity_url("opportunity-stage-previous"),
        message=OPPORTUNITY_FIRST_STAGE,
        htmx=True,
    ),
    "previous-stage-won": Case(
        opportunity_url("opportunity-stage-previous", "won_opportunity"),
        message=OPPORTUNITY_CLOSED,
        htmx=True,
    ),
    "previous-stage-others": Case(
        opportunity_url("opportunity-stage-previous", "others_opportunity"),
        status=403,
        htmx=True,
    ),
    "opportunity-note-empty": Case(
        opportunity_url("opportunity-note-add"),
        lambda w: {"note-title": "", "note-body": ""},
        message=TIMELINE_NOTE_EMPTY,
        htmx=True,
    ),
    "opportunity-note-too-large": Case(
        opportunity_url("opportunity-note-add"),
        lambda w: {"note-body": "Quote", "note-attachment": too_large_file()},
        message="The attachment is too large: files up to 1.0\xa0KB are accepted.",
        htmx=True,
        setup=small_attachments,
    ),
    "opportunity-note-won": Case(
        opportunity_url("opportunity-note-add", "won_opportunity"),
        lambda w: {"note-title": "After the fact"},
        message=OPPORTUNITY_CLOSED,
        htmx=True,
    ),
    "opportunity-note-others": Case(
        opportunity_url("opportunity-note-add", "others_opportunity"),
        lambda w: {"note-title": "Hi"},
        status=403,
    ),
    # Opportunity edit, close, reopen -------------------------------------------------------------
    "opportunity-edit-blank-topic": Case(
        opportunity_url("opportunity-edit"),
        lambda w: {"topic": "  "},
        message=OPPORTUNITY_TOPIC_REQUIRED,
        htmx=True,
    ),
    "opportunity-edit-revenue-too-big": Case(
        opportunity_url("opportunity-edit"),
        lambda w: {"topic": "T", "estimated_revenue": "1000000000001"},
        message=MSG_AT_MOST_1E12,
        htmx=True,
    ),
    "opportunity-edit-bad-choice": Case(
        opportunity_url("opportunity-edit"),
        lambda w: {"topic": "T", "need": "desperately", "estimated_close_date": "2026-02-30"},
        message=(MSG_CHOICE, MSG_DATE),
        htmx=True,
    ),
    "opportunity-edit-won": Case(
        opportunity_url("opportunity-edit", "won_opportunity"),
        lambda w: {"topic": "After the fact"},
        status=302,
        message=OPPORTUNITY_CLOSED,
    ),
    "close-won-revenue-negative": Case(
        close_url("won"),
        lambda w: {"status_reason": "won", "actual_revenue": "-1", "actual_close_date": "2026-1-1"},
        message=MSG_NOT_NEGATIVE,
        htmx=True,
    ),
    "close-won-revenue-too-many-digits": Case(
        close_url("won"),
        lambda w: {"status_reason": "won", "actual_revenue": "1" + "0" * 13},
        message=(MSG_TOO_MANY_DIGITS, MSG_AT_MOST_1E12),
        htmx=True,
    ),
    "close-won-without-revenue": Case(
        close_url("won"),
        lambda w: {"status_reason": "won", "actual_revenue": "", "actual_close_date": "2026-1-1"},
        message=ACTUAL_REVENUE_REQUIRED,
        htmx=True,
    ),
    "close-lost-with-reason-won": Case(
        close_url("lost"), lambda w: {"status_reason": "won"}, message=MSG_CHOICE, htmx=True
    ),
    "close-lost-without-date": Case(
        close_url("lost"),
        lambda w: {"status_reason": "canceled", "actual_close_date": ""},
        message=ACTUAL_CLOSE_DATE_REQUIRED,
        htmx=True,
    ),
    "close-as-open": Case(close_url("open"), lambda w: {"status_reason": "on_hold"}, status=404),
    "close-won-opportunity": Case(
        close_url("lost", "won_opportunity"),
        lambda w: {"status_reason": "canceled", "actual_close_date": "2026-1-1"},
        message=OPPORTUNITY_CLOSED,
        htmx=True,
    ),
    "reopen-open-opportunity": Case(
        opportunity_url("opportunity-reopen"), status=302, message=OPPORTUNITY_NOT_CLOSED
    ),
    # Accounts and contacts -----------------------------------------------------------------------
    "account-create-bad-fields": Case(
        url("crm:account-create"),
        lambda w: {"name": "", "email": "not an address", "website": "javascript:alert(1)"},
        message=(ACCOUNT_NAME_REQUIRED, MSG_EMAIL, MSG_URL),
    ),
    "account-edit-too-long": Case(
        record_url("account-edit", "sam_account"),
        lambda w: {"name": "N" * 161},
        message="Ensure this value has at most 160 characters (it has 161).",
        htmx=True,
    ),
    "contact-edit-blank-last-name": Case(
        record_url("contact-edit", "sam_contact"),
        lambda w: {"first_name": "Nancy", "last_name": " "},
        message=CONTACT_LAST_NAME_REQUIRED,
        htmx=True,
    ),
    "contact-edit-account-beyond-any-integer": Case(
        record_url("contact-edit", "sam_contact"),
        lambda w: {"last_name": "Davolio", "account": HUGE},
        message=MSG_CHOICE,
        htmx=True,
    ),
    "account-delete-in-use": Case(
        lambda w: reverse("crm:account-delete", args=[w.qualified_lead.parent_account_id]),
        message="open opportunity (Account)",
        htmx=True,
        user="sam",
    ),
    "account-note-empty": Case(
        record_url("account-note-add", "sam_account"),
        lambda w: {"note-title": " "},
        message=TIMELINE_NOTE_EMPTY,
        htmx=True,
    ),
    "account-edit-missing": Case(
        lambda w: reverse("crm:account-edit", args=[MISSING]), lambda w: {"name": "X"}, status=404
    ),
    # Merge --------------------------------------------------------------------------------------
    "merge-with-itself": Case(
        url("crm:account-merge"),
        lambda w: {"ids": [w.sam_account.pk, w.sam_account.pk]},
        message=MERGE_SAME_RECORD.format(records="accounts"),
    ),
    "merge-one": Case(
        url("crm:contact-merge"),
        lambda w: {"ids": [w.sam_contact.pk]},
        message=MERGE_TOO_FEW.format(records="contacts"),
    ),
    "merge-missing": Case(
        url("crm:account-merge"),
        lambda w: {"ids": [w.sam_account.pk, MISSING]},
        message=MERGE_RECORD_GONE.format(records="accounts"),
    ),
    "merge-id-beyond-any-integer": Case(
        url("crm:account-merge"),
        lambda w: {"ids": [w.sam_account.pk, HUGE]},
        message="Select two or more accounts in the grid to merge.",
    ),
    "merge-others-record": Case(
        url("crm:account-merge"),
        lambda w: {"ids": [w.sam_account.pk, w.account.pk]},
        message=MERGE_NOT_ALLOWED.format(records="accounts", names="Northwind Traders (#")[:-3],
    ),
    "merge-field-from-a-stranger": Case(
        url("crm:account-merge"),
        lambda w: {"ids": [w.sam_account.pk, w.sam_duplicate.pk], "field-name": w.account.pk},
        message=MERGE_SOURCE_INVALID.format(field="Account Name", records="accounts"),
    ),
    "merge-master-not-merged": Case(
        url("crm:account-merge"),
        lambda w: {"ids": [w.sam_account.pk, w.account.pk], "master": w.account.pk + 1000},
        message=MERGE_NOT_ALLOWED.format(records="accounts", names="Northwind Traders (#")[:-3],
    ),
    # Django admin: the settings and the field mappings -------------------------------------------
    "admin-multiple-opportunities-when-automatic": Case(
        admin_settings_url,
        admin_settings(allow_multiple_opportunities="on"),
        message=SETTINGS_MULTIPLE_NEEDS_SALESPERSON.format(max=5),
        user="admin",
    ),
    "admin-duplicates-without-a-rule": Case(
        admin_settings_url,
        admin_settings(
            match_account_by_name=None,
            match_account_by_domain=None,
            match_contact_by_email=None,
            match_contact_by_name=None,
        ),
        message=SETTINGS_DUPLICATES_NEED_A_RULE,
        user="admin",
    ),
    "admin-unknown-experience": Case(
        admin_settings_url,
        admin_settings(experience="futuristic"),
        message=MSG_CHOICE,
        user="admin",
    ),
    "admin-quick-create-field-twice": Case(
        admin_settings_url,
        admin_settings(opportunity_quick_create_fields=["need", "need"]),
        message=QUICK_CREATE_TWICE.format(field="Need"),
        user="admin",
    ),
    "admin-quick-create-field-not-offered": Case(
        admin_settings_url,
        admin_settings(opportunity_quick_create_fields=["stage"]),
        message=MSG_CHOICE,
        user="admin",
    ),
    "admin-mapping-unknown-source": Case(
        url("admin:qualification_fieldmapping_add"),
        lambda w: {"target": "account", "source_field": "password", "target_field": "description"},
        message=MSG_CHOICE,
        user="admin",
    ),
    "admin-mapping-types-differ": Case(
        url("admin:qualification_fieldmapping_add"),
        lambda w: {
            "target": "account",
            "source_field": "decision_maker",
            "target_field": "description",
        },
        message="“Decision Maker identified” (yes/no) cannot fill account field",
        user="admin",
    ),
}


def client_for(world: World, user: str) -> Client:
    client = Client()
    client.force_login(getattr(world, user))
    return client


def answer_text(client: Client, response: Any) -> str:
    """The answer's text, and the page it sends the browser to (where messages show)."""
    text = response.content.decode()
    location = response.headers.get("HX-Redirect") or (
        response.headers.get("Location") if response.status_code in (301, 302, 303) else None
    )
    if location:
        text += client.get(location).content.decode()
    return html.unescape(text)


def media_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_it_refuses_bad_input_and_changes_nothing(case: Case, world: World, settings) -> None:
    if case.setup is not None:
        case.setup(world, settings)
    client = client_for(world, case.user)
    before = snapshot()
    files_before = media_files(settings)

    response = client.post(case.url(world), case.data(world), **(HX if case.htmx else {}))

    assert response.status_code == case.status, response.content.decode()[:2000]
    text = answer_text(client, response)
    if case.message is not None:
        accepted = case.message if isinstance(case.message, tuple) else (case.message,)
        assert any(message in text for message in accepted), text[:4000]
    assert snapshot_diff(before, snapshot()) == []
    assert media_files(settings) == files_before


# Fields the forms do not offer -------------------------------------------------------------------


def test_it_ignores_an_owner_and_state_smuggled_into_the_lead_form(world: World) -> None:
    client = client_for(world, "sam")
    smuggled = {
        "owner": str(world.olga.pk),
        "state": "qualified",
        "status_reason": "qualified",
        "parent_account": str(world.account.pk),
        "qualifying_opportunity": str(world.others_opportunity.pk),
    }

    response = client.post(
        reverse("leads:lead-detail", args=[world.lead.pk]),
        lead_form_post(world.lead, topic="Desks", **smuggled),
    )
    created = client.post(
        reverse("leads:lead-create"), {"topic": "Lamps", "last_name": "Lee", **smuggled}
    )

    assert response.status_code == 302 and created.status_code == 302
    for lead in (world.lead, Lead.objects.get(topic="Lamps")):
        lead.refresh_from_db()
        assert (lead.owner, lead.state, lead.status_reason) == (world.sam, "open", "new")
        assert (lead.parent_account, lead.qualifying_opportunity) == (None, None)
    assert world.lead.topic == "Desks"


def test_it_changes_only_the_leads_it_may_in_a_mixed_bulk_qualify(world: World) -> None:
    client = client_for(world, "sam")
    others_before = Lead.objects.filter(owner=world.olga).order_by("pk").values()
    others_before = list(others_before)

    response = client.post(
        reverse("qualification:bulk-qualify"),
        selection("lead", "others_lead", "others_closed_lead", confirm="1", create_contact="on")(
            world
        ),
        **HX,
    )

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "1 lead qualified" in text
    assert LEAD_NOT_OWNED in text
    world.lead.refresh_from_db()
    assert world.lead.state == "qualified"
    assert list(Lead.objects.filter(owner=world.olga).order_by("pk").values()) == others_before


# Reads with garbage parameters ------------------------------------------------------------------


GARBAGE_READS: dict[str, Callable[[World], str]] = {
    "grid": lambda w: (
        reverse("leads:lead-list")
        + "?view=../../etc&sort=__class__&page=-3&per_page=1e9&q="
        + "x" * 5000
    ),
    "grid-page-not-a-number": lambda w: reverse("leads:lead-list") + "?page=last&per_page=abc",
    "account-grid": lambda w: reverse("crm:account-list") + "?sort=password&page=0&per_page=-1",
    "contact-grid": lambda w: reverse("crm:contact-list") + "?sort=;DROP&page=99999",
    "opportunity-grid": lambda w: reverse("crm:opportunity-list") + "?view=x&sort=-owner__password",
    "lookup": lambda w: (
        reverse("leads:lead-lookup", args=["account"])
        + "?existing_account=abc&account_q="
        + "%00" * 10
    ),
    "lookup-huge-id": lambda w: (
        reverse("leads:lead-lookup", args=["contact"]) + f"?existing_contact={HUGE}"
    ),
    "record-search": lambda w: (
        reverse("qualification:qualify-record-search", args=[w.lead.pk, "account"])
        + f"?account-existing={HUGE}&account-q="
        + "q" * 500
    ),
    "opportunity-form": lambda w: (
        reverse("qualification:qualify-opportunity-form", args=[w.lead.pk])
        + f"?index={HUGE}&remove=-1&opportunity-index=abc&opportunity-index=100"
    ),
    "opportunity-form-superscripts": lambda w: (
        reverse("qualification:qualify-opportunity-form", args=[w.lead.pk])
        + "?index=%C2%B2&remove=%C2%B3&opportunity-index=%C2%B2"
    ),
    "record-search-superscript": lambda w: (
        reverse("qualification:qualify-record-search", args=[w.lead.pk, "account"])
        + "?account-existing=%C2%B2&account-q=Con"
    ),
}


@pytest.mark.parametrize("page_url", GARBAGE_READS.values(), ids=GARBAGE_READS.keys())
def test_it_answers_garbage_query_strings_with_a_page(page_url, world: World) -> None:
    client = client_for(world, "sam")
    before = snapshot()

    response = client.get(page_url(world), **HX)

    assert response.status_code == 200
    assert snapshot_diff(before, snapshot()) == []


HUGE_ID_PATHS: dict[str, Callable[[World], str]] = {
    "lead": lambda w: f"/leads/{HUGE}/",
    "account": lambda w: f"/accounts/{HUGE}/",
    "opportunity": lambda w: f"/opportunities/{HUGE}/",
    "qualify": lambda w: f"/qualify/lead/{HUGE}/",
    "lead-qualified": lambda w: f"/qualify/lead/{w.lead.pk}/qualified/{HUGE}/",
    "bulk-job": lambda w: f"/qualify/bulk/{HUGE}/",
    "attachment": lambda w: f"/timeline/{HUGE}/attachment/",
}


@pytest.mark.parametrize("page_url", HUGE_ID_PATHS.values(), ids=HUGE_ID_PATHS.keys())
def test_it_answers_404_for_an_id_beyond_any_integer(page_url, world: World) -> None:
    client = client_for(world, "sam")

    assert client.get(page_url(world)).status_code == 404


BULK_ENDPOINTS = {
    "bulk-disqualify": "leads:lead-bulk-disqualify",
    "bulk-reactivate": "leads:lead-bulk-reactivate",
    "bulk-delete": "leads:lead-bulk-delete",
    "bulk-qualify": "qualification:bulk-qualify",
}


@pytest.mark.parametrize("name", BULK_ENDPOINTS.values(), ids=BULK_ENDPOINTS.keys())
def test_it_reports_an_id_beyond_any_integer_in_a_bulk_selection(name: str, world: World) -> None:
    client = client_for(world, "sam")
    before = snapshot()

    response = client.post(
        reverse(name),
        {"lead_ids": [HUGE], "view": "all", "reason": "lost", "confirm": "1"},
        **HX,
    )

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert any(message in text for message in (MSG_NONE_EXISTS, MSG_SELECTION, SELECT_LEADS_FIRST))
    assert snapshot_diff(before, snapshot()) == []


def test_it_keeps_an_uploaded_file_name_inside_the_media_folder(world: World, settings) -> None:
    client = client_for(world, "sam")
    upload = SimpleUploadedFile("../../../escape.txt", b"hello", "text/plain")

    response = client.post(
        reverse("leads:lead-note-add", args=[world.lead.pk]),
        {"note-title": "File", "note-attachment": upload},
        **HX,
    )

    assert response.status_code == 200
    media = Path(settings.MEDIA_ROOT).resolve()
    stored = [path.resolve() for path in media.rglob("*") if path.is_file()]
    assert len(stored) == 1
    assert stored[0].is_relative_to(media / "attachments")
    assert not (media.parent / "escape.txt").exists()
