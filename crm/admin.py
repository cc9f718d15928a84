"""Django admin for customer records and the timeline.

Saving goes through the match-key functions of the record services, so accounts and contacts
edited here stay findable by duplicate detection; deleting timeline entries removes their files.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from crm.models import Account, Contact, Opportunity, TimelineEntry
from crm.services.records import account_match_keys, contact_match_keys
from crm.services.timeline import timeline_entries_delete

ADDRESS_FIELDSET = (
    "Address",
    {
        "fields": (
            "street1",
            "street2",
            "street3",
            ("city", "state_province", "postal_code"),
            "country",
        )
    },
)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "website", "phone", "city", "owner", "created_at")
    list_filter = ("owner", "created_at", "country", "industry")
    search_fields = ("name", "normalized_name", "website_domain", "email", "phone", "city")
    autocomplete_fields = ("owner",)
    readonly_fields = ("normalized_name", "website_domain", "created_at", "updated_at")
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    fieldsets = (
        (None, {"fields": ("name", "website", "phone", "email", "industry", "owner")}),
        ADDRESS_FIELDSET,
        ("More", {"fields": ("description",)}),
        (
            "Duplicate detection keys",
            {"fields": ("normalized_name", "website_domain", "created_at", "updated_at")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: Account, form: Any, change: bool) -> None:
        account_match_keys(obj)
        super().save_model(request, obj, form, change)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "business_phone", "account", "owner", "created_at")
    list_filter = ("owner", "created_at")
    search_fields = (
        "last_name",
        "first_name",
        "full_name_normalized",
        "email_normalized",
        "business_phone",
        "account__name",
    )
    autocomplete_fields = ("account", "owner")
    readonly_fields = ("email_normalized", "full_name_normalized", "created_at", "updated_at")
    date_hierarchy = "created_at"
    list_select_related = ("owner", "account")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("first_name", "last_name"),
                    "job_title",
                    "account",
                    "email",
                    ("business_phone", "mobile_phone"),
                    "owner",
                )
            },
        ),
        ADDRESS_FIELDSET,
        ("More", {"fields": ("description",)}),
        (
            "Duplicate detection keys",
            {"fields": ("email_normalized", "full_name_normalized", "created_at", "updated_at")},
        ),
    )

    @admin.display(description="Full Name", ordering="last_name")
    def full_name(self, obj: Contact) -> str:
        return obj.full_name

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        contact_match_keys(obj)
        super().save_model(request, obj, form, change)


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = (
        "topic",
        "potential_customer",
        "estimated_revenue",
        "state",
        "status_reason",
        "stage",
        "owner",
        "created_at",
    )
    list_filter = ("state", "status_reason", "stage", "owner", "created_at")
    search_fields = ("topic", "customer_account__name", "customer_contact__last_name")
    autocomplete_fields = ("customer_account", "customer_contact", "account", "contact", "owner")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    list_select_related = ("owner", "customer_account", "customer_contact")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "topic",
                    ("customer_account", "customer_contact"),
                    ("account", "contact"),
                    "owner",
                    ("state", "status_reason"),
                )
            },
        ),
        (
            "Qualification",
            {
                "fields": (
                    "budget_amount",
                    "purchase_timeframe",
                    "purchase_process",
                    "decision_maker",
                    "need",
                )
            },
        ),
        (
            "Forecast",
            {"fields": ("estimated_revenue", "estimated_close_date", "description")},
        ),
        (
            "Process",
            {
                "fields": (
                    "stage",
                    "customer_need",
                    "proposed_solution",
                    ("identify_stakeholders", "identify_competitors"),
                    ("identify_sales_team", "develop_proposal"),
                    ("complete_internal_review", "present_proposal"),
                    ("complete_final_proposal", "present_final_proposal"),
                    "decision_date",
                    ("send_thank_you", "file_debrief"),
                )
            },
        ),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Potential Customer")
    def potential_customer(self, obj: Opportunity) -> str:
        return str(obj.potential_customer or "")


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "content_type", "object_id", "author", "created_at")
    list_filter = ("kind", "content_type", "created_at")
    search_fields = ("title", "body")
    raw_id_fields = ("author",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    list_select_related = ("author", "content_type")

    def delete_model(self, request: HttpRequest, obj: TimelineEntry) -> None:
        timeline_entries_delete(entries=TimelineEntry.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TimelineEntry]) -> None:
        timeline_entries_delete(entries=queryset)
