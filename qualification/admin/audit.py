"""What qualification leaves behind, read-only: the qualification records and bulk jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from qualification.models import (
    BulkQualifyJob,
    Qualification,
    QualificationOpportunity,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QualificationOpportunityInline(admin.TabularInline):
    model = QualificationOpportunity
    fields = ("position", "opportunity")
    readonly_fields = ("position", "opportunity")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _outcome(record: Any, created: bool) -> str:
    if record is None:
        return "—"
    return f"{record} ({'created' if created else 'linked'})"


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    """Who qualified which lead when, how, and what was created versus linked."""

    list_display = (
        "lead_label",
        "qualified_by",
        "created_at",
        "experience",
        "bulk",
        "account_outcome",
        "contact_outcome",
        "opportunity_count",
    )
    list_filter = ("experience", "bulk", "account_created", "contact_created")
    list_select_related = ("qualified_by", "account", "contact")
    search_fields = ("lead_label",)
    date_hierarchy = "created_at"
    inlines = [QualificationOpportunityInline]
    fields = (
        "lead",
        "lead_label",
        "qualified_by",
        "created_at",
        "experience",
        "bulk",
        "account",
        "account_created",
        "contact",
        "contact_created",
        "summary",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Qualification]:
        return super().get_queryset(request).annotate(opportunity_total=Count("opportunity_links"))

    @admin.display(description="Account")
    def account_outcome(self, obj: Qualification) -> str:
        return _outcome(obj.account, obj.account_created)

    @admin.display(description="Contact")
    def contact_outcome(self, obj: Qualification) -> str:
        return _outcome(obj.contact, obj.contact_created)

    @admin.display(description="Opportunities created", ordering="opportunity_total")
    def opportunity_count(self, obj: Qualification) -> int:
        return obj.opportunity_total


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
