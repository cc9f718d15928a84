from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from leads.duplicates.keys import lead_match_keys
from leads.models import Lead


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "full_name",
        "topic",
        "company_name",
        "email",
        "state",
        "status_reason",
        "owner",
        "created_at",
    ]
    list_display_links = ["full_name", "topic"]
    search_fields = [
        "first_name",
        "last_name",
        "email",
        "company_name",
        "business_phone",
        "mobile_phone",
    ]
    list_filter = ["state", "status_reason", "lead_source", "rating", "owner", "created_at"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    raw_id_fields = [
        "owner",
        "existing_account",
        "existing_contact",
        "parent_account",
        "parent_contact",
        "qualifying_opportunity",
    ]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (
            "Contact",
            {
                "fields": [
                    "topic",
                    ("first_name", "last_name"),
                    "job_title",
                    ("business_phone", "mobile_phone"),
                    "email",
                ]
            },
        ),
        (
            "Company",
            {
                "fields": [
                    "company_name",
                    "website",
                    "street1",
                    "street2",
                    "street3",
                    ("city", "state_province"),
                    ("postal_code", "country"),
                    "industry",
                ]
            },
        ),
        ("Details", {"fields": ["description", "lead_source", "rating", "need", "owner"]}),
        (
            "Qualify stage",
            {
                "fields": [
                    "existing_account",
                    "existing_contact",
                    "purchase_timeframe",
                    "budget_amount",
                    "purchase_process",
                    "decision_maker",
                    "qualification_comments",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    ("state", "status_reason"),
                    "parent_account",
                    "parent_contact",
                    "qualifying_opportunity",
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, lead: Lead) -> str:
        return lead.full_name

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        return super().get_queryset(request).select_related("owner")

    def save_model(self, request: HttpRequest, obj: Lead, form: Any, change: bool) -> None:
        lead_match_keys(obj)
        super().save_model(request, obj, form, change)
