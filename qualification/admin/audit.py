"""What qualification leaves behind, read-only: the qualification records and bulk jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from qualification.models import (
    BulkQualifyJob,
    DuplicateDecision,
    LinkedFieldChange,
    Qualification,
)
from qualification.services import TARGET_MODELS
from qualification.services.undo import undo_blockers
from qualification.services.undo.examine import person

UNDO_ACTIONS = {"deleted": "deleted", "unlinked": "kept, link to the lead removed"}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def duplicates_decision(qualification: Qualification, record_type: str) -> str:
    """What was done about the duplicates a new account or contact matched, in the words of the
    duplicate dialog: "Create new anyway over Contoso Ltd, Contoso Inc", "linked to match
    Contoso Ltd"; "" when none were found. The matches are named as they were then."""
    decision = getattr(qualification, f"{record_type}_duplicates")
    matches = [
        match
        for match in (qualification.duplicate_matches or {}).get(record_type, [])
        if isinstance(match, dict)
    ]
    labels = [str(match.get("label", "")) for match in matches if match.get("label")]
    if decision == DuplicateDecision.CREATED_ANYWAY:
        return f"Create new anyway over {', '.join(labels)}" if labels else "Create new anyway"
    if decision == DuplicateDecision.LINKED:
        linked_id = getattr(qualification, f"{record_type}_id")
        linked = next(
            (str(match["label"]) for match in matches if match.get("id") == linked_id), ""
        )
        record = getattr(qualification, record_type)
        return f"linked to match {linked or record or ', '.join(labels)}".strip()
    return ""


def _outcome(qualification: Qualification, record_type: str) -> str:
    """The record created or linked, with a link to it, and the duplicate decision under it."""
    record = getattr(qualification, record_type)
    if record is None:
        return "—"
    created = getattr(qualification, f"{record_type}_created")
    decision = duplicates_decision(qualification, record_type)
    return format_html(
        '<a href="{}">{}</a> <span class="audit-how">{}</span>{}',
        record.get_absolute_url(),
        record,
        "created" if created else "linked",
        format_html('<br><span class="audit-duplicates">{}</span>', decision) if decision else "",
    )


def _linked_record(qualification: Qualification, change: LinkedFieldChange) -> str:
    record = getattr(qualification, change.record_type, None)
    if record is not None and record.pk == change.record_id:
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record)
    return f"{change.get_record_type_display()} #{change.record_id}"


def _field_name(change: LinkedFieldChange) -> str:
    model = TARGET_MODELS.get(change.record_type)
    try:
        return str(model._meta.get_field(change.field).verbose_name) if model else change.field
    except FieldDoesNotExist:
        return change.field


def _shown(value: Any) -> str:
    return "(empty)" if value in (None, "") else str(value)


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    """Who qualified which lead when, how, what was created versus linked, and what was done
    about the duplicates found."""

    list_display = (
        "lead_label",
        "qualified_by",
        "created_at",
        "how",
        "account_outcome",
        "contact_outcome",
        "opportunity_count",
    )
    list_filter = (
        "experience",
        "bulk",
        "account_created",
        "contact_created",
        "account_duplicates",
        "contact_duplicates",
        ("undone_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("qualified_by", "account", "contact")
    search_fields = ("lead_label",)
    date_hierarchy = "created_at"
    fields = (
        "lead_link",
        "qualified_by",
        "created_at",
        "how",
        "account_outcome",
        "contact_outcome",
        "linked_field_changes",
        "opportunities",
        "summary",
        "undo_status",
    )
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-audit.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Qualification]:
        return super().get_queryset(request).annotate(opportunity_total=Count("opportunity_links"))

    @admin.display(description="Lead")
    def lead_link(self, obj: Qualification) -> str:
        if obj.lead is None:
            return f"{obj.lead_label} (deleted)"
        return format_html('<a href="{}">{}</a>', obj.lead.get_absolute_url(), obj.lead_label)

    @admin.display(description="How", ordering="experience")
    def how(self, obj: Qualification) -> str:
        return f"{obj.get_experience_display()}{' · bulk' if obj.bulk else ''}"

    @admin.display(description="Account")
    def account_outcome(self, obj: Qualification) -> str:
        return _outcome(obj, "account")

    @admin.display(description="Contact")
    def contact_outcome(self, obj: Qualification) -> str:
        return _outcome(obj, "contact")

    @admin.display(description="Opps", ordering="opportunity_total")
    def opportunity_count(self, obj: Qualification) -> int:
        return obj.opportunity_total

    @admin.display(description="Changed on linked records")
    def linked_field_changes(self, obj: Qualification) -> str:
        """Each field the qualify changed on an existing account or contact: old -> new."""
        changes = list(obj.linked_changes.all())
        if not changes:
            return "—"
        return format_html(
            '<table class="audit-linked-changes"><thead><tr><th>Record</th><th>Field</th>'
            "<th>Old value</th><th>New value</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        _linked_record(obj, change),
                        _field_name(change),
                        _shown(change.old_value),
                        _shown(change.new_value),
                    )
                    for change in changes
                ),
            ),
        )

    @admin.display(description="Undo")
    def undo_status(self, obj: Qualification) -> str:
        """Undone (when, by whom, what went); else the app's Undo qualification, with what
        refuses it now (whoever undoes it must also own the lead or manage sales)."""
        if obj.undone_at is not None:
            return format_html(
                'Undone on {} by {}<ul class="audit-undone">{}</ul>',
                date_format(timezone.localtime(obj.undone_at), "M j, Y H:i"),
                person(obj.undone_by),
                format_html_join(
                    "",
                    "<li>{} {}: {}</li>",
                    (
                        (
                            str(entry.get("record_type", "")).capitalize(),
                            entry.get("label", ""),
                            UNDO_ACTIONS.get(entry.get("action", ""), entry.get("action", "")),
                        )
                        for entry in obj.undone_records
                        if isinstance(entry, dict)
                    ),
                ),
            )
        if obj.lead is None:
            return "—"
        reasons = undo_blockers(qualification=obj)
        link = format_html(
            '<a class="button" href="{}">Undo qualification</a>',
            reverse("qualification:qualification-undo", args=[obj.pk]),
        )
        if not reasons:
            return link
        return format_html(
            '{}<p>Refused now:</p><ul class="audit-undo-refusals">{}</ul>',
            link,
            format_html_join("", "<li>{}</li>", ((reason,) for reason in reasons)),
        )

    @admin.display(description="Opportunities created")
    def opportunities(self, obj: Qualification) -> str:
        links = obj.opportunity_links.select_related("opportunity")
        if not links:
            return "—"
        return format_html(
            '<ol class="audit-opportunities">{}</ol>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a>{}</li>',
                (
                    (
                        link.opportunity.get_absolute_url(),
                        link.opportunity,
                        " (primary)" if link.position == 0 else "",
                    )
                    for link in links
                ),
            ),
        )


@admin.register(BulkQualifyJob)
class BulkQualifyJobAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "created_by",
        "status",
        "total",
        "processed",
        "qualified_count",
        "created_at",
        "finished_at",
    )
    list_filter = ("status",)
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    exclude = ("lead_ids",)
