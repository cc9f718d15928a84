"""Django admin for customer records and the timeline.

Saving goes through the match-key functions of the record services, so accounts and contacts
edited here stay findable by duplicate detection; deleting timeline entries removes their files.
Deleting an account, contact or opportunity deletes its timeline too, and the confirmation page
warns which records lose their link to it (a lead's Existing Account, ...); each of those gets
a timeline event saying so (crm.services.deletion).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from crm.models import Account, Contact, Opportunity, TimelineEntry
from crm.services.deletion import record_links_cleared, records_delete
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


class RecordAdmin(admin.ModelAdmin):
    """A customer record: deleted with its timeline, telling the records linked to it."""

    # Django's own "Delete selected" action, replaced by the one below (same name).
    actions = ["delete_selected"]

    @admin.action(permissions=["delete"], description=django_delete_selected.short_description)
    def delete_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Django's action; its confirmation page also lists the links the deletion clears."""
        response = django_delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data["links_cleared"] = record_links_cleared(records=queryset)
        return response

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        context["links_cleared"] = record_links_cleared(records=[context["object"]])
        return super().render_delete_form(request, context)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        records_delete(records=[obj], acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        records_delete(records=queryset, acting_user=request.user)


@admin.register(Account)
class AccountAdmin(RecordAdmin):
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
class ContactAdmin(RecordAdmin):
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
class OpportunityAdmin(RecordAdmin):
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
