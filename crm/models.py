"""Customer records (accounts, contacts, opportunities) and the timeline shared by every record.

`crm` is the lowest app: it never imports `leads` or `qualification`. A link from a lead to these
records (originating lead, parent account, ...) is declared on the lead side and read here through
its reverse accessor.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

MAX_MONEY = Decimal("1000000000000")  # 1e12, the largest budget or revenue a record accepts
money_validators = [MinValueValidator(Decimal("0")), MaxValueValidator(MAX_MONEY)]


def money_field(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=15,
        decimal_places=2,
        null=True,
        blank=True,
        validators=money_validators,
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("created on", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("modified on", auto_now=True)

    class Meta:
        abstract = True


# Choices shared by leads and opportunities (the Qualify stage feeds the opportunity).
class PurchaseTimeframe(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate"
    THIS_QUARTER = "this_quarter", "This Quarter"
    NEXT_QUARTER = "next_quarter", "Next Quarter"
    THIS_YEAR = "this_year", "This Year"
    UNKNOWN = "unknown", "Unknown"


class PurchaseProcess(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    COMMITTEE = "committee", "Committee"
    UNKNOWN = "unknown", "Unknown"


class Need(models.TextChoices):
    MUST_HAVE = "must_have", "Must have"
    SHOULD_HAVE = "should_have", "Should have"
    GOOD_TO_HAVE = "good_to_have", "Good to have"
    NO_NEED = "no_need", "No need"


class AddressMixin(models.Model):
    street1 = models.CharField("Street 1", max_length=250, blank=True)
    street2 = models.CharField("Street 2", max_length=250, blank=True)
    street3 = models.CharField("Street 3", max_length=250, blank=True)
    city = models.CharField("City", max_length=80, blank=True)
    state_province = models.CharField("State/Province", max_length=50, blank=True)
    postal_code = models.CharField("ZIP/Postal Code", max_length=20, blank=True)
    country = models.CharField("Country/Region", max_length=80, blank=True)

    class Meta:
        abstract = True


class Account(AddressMixin, TimeStampedModel):
    name = models.CharField("Account Name", max_length=160)
    # Duplicate detection looks accounts up by these two keys (see qualification.duplicates):
    # the name without case, punctuation and legal suffixes, and the website's bare domain.
    normalized_name = models.CharField(max_length=160, editable=False, db_index=True)
    website_domain = models.CharField(max_length=200, editable=False, blank=True, db_index=True)
    website = models.URLField("Website", max_length=200, blank=True)
    phone = models.CharField("Main Phone", max_length=50, blank=True)
    # The phone's trailing digits (crm.matching.normalize_phone), for the same-phone rule.
    phone_normalized = models.CharField(max_length=9, editable=False, blank=True, db_index=True)
    # The name's word initials (crm.matching.name_initials): the similar-name search's block
    # on databases without pg_trgm.
    name_initials = models.CharField(max_length=40, editable=False, blank=True, db_index=True)
    email = models.EmailField("Email", max_length=100, blank=True)
    industry = models.CharField("Industry", max_length=100, blank=True)
    description = models.TextField("Description", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Owner",
        on_delete=models.PROTECT,
        related_name="accounts",
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "name"]),
            # The grid sorts names without regard to case, ties broken by id.
            models.Index(Lower("name"), "id", name="account_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:account-detail", args=[self.pk])


class Contact(AddressMixin, TimeStampedModel):
    first_name = models.CharField("First Name", max_length=50, blank=True)
    last_name = models.CharField("Last Name", max_length=50)
    # Lower-cased copies for indexed duplicate lookups (email; full name within an account).
    email_normalized = models.CharField(max_length=100, editable=False, blank=True, db_index=True)
    full_name_normalized = models.CharField(max_length=101, editable=False, db_index=True)
    # The similar-name rule's keys (crm.matching): the folded full name (trigram-indexed on
    # PostgreSQL), the email's domain ("same email domain"), and both phones' trailing digits.
    name_key = models.CharField(max_length=101, editable=False, blank=True)
    email_domain = models.CharField(max_length=100, editable=False, blank=True, db_index=True)
    business_phone_normalized = models.CharField(
        max_length=9, editable=False, blank=True, db_index=True
    )
    mobile_phone_normalized = models.CharField(
        max_length=9, editable=False, blank=True, db_index=True
    )
    job_title = models.CharField("Job Title", max_length=100, blank=True)
    email = models.EmailField("Email", max_length=100, blank=True)
    business_phone = models.CharField("Business Phone", max_length=50, blank=True)
    mobile_phone = models.CharField("Mobile Phone", max_length=50, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name="Account Name",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    description = models.TextField("Description", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Owner",
        on_delete=models.PROTECT,
        related_name="contacts",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["account", "full_name_normalized"]),
            models.Index(fields=["owner", "last_name"]),
            # The grid's Full Name sort: last then first name without regard to case, then id.
            models.Index(Lower("last_name"), Lower("first_name"), "id", name="contact_name_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("crm:contact-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OpportunityState(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class OpportunityStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In Progress"
    ON_HOLD = "on_hold", "On Hold"
    WON = "won", "Won"
    CANCELED = "canceled", "Canceled"
    OUT_SOLD = "out_sold", "Out-Sold"


OPPORTUNITY_STATUS_BY_STATE: dict[str, tuple[str, ...]] = {
    OpportunityState.OPEN: (OpportunityStatus.IN_PROGRESS, OpportunityStatus.ON_HOLD),
    OpportunityState.WON: (OpportunityStatus.WON,),
    OpportunityState.LOST: (OpportunityStatus.CANCELED, OpportunityStatus.OUT_SOLD),
}


class SalesStage(models.TextChoices):
    """The opportunity's part of the process bar; Qualify lives on the lead."""

    DEVELOP = "develop", "Develop"
    PROPOSE = "propose", "Propose"
    CLOSE = "close", "Close"


class Opportunity(TimeStampedModel):
    topic = models.CharField("Topic", max_length=300)
    # Potential Customer: exactly one of an account or a contact.
    customer_account = models.ForeignKey(
        Account,
        verbose_name="Potential Customer (account)",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customer_opportunities",
    )
    customer_contact = models.ForeignKey(
        Contact,
        verbose_name="Potential Customer (contact)",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customer_opportunities",
    )
    account = models.ForeignKey(
        Account,
        verbose_name="Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name="Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    budget_amount = money_field("Budget Amount")
    purchase_timeframe = models.CharField(
        "Purchase Timeframe", max_length=20, choices=PurchaseTimeframe.choices, blank=True
    )
    purchase_process = models.CharField(
        "Purchase Process", max_length=20, choices=PurchaseProcess.choices, blank=True
    )
    decision_maker = models.BooleanField("Decision Maker", default=False)
    need = models.CharField("Need", max_length=20, choices=Need.choices, blank=True)
    estimated_revenue = money_field("Est. Revenue")
    estimated_close_date = models.DateField("Est. Close Date", null=True, blank=True)
    # Set when the opportunity is closed as won or lost, cleared when it is reopened.
    actual_revenue = money_field("Actual Revenue")
    actual_close_date = models.DateField("Actual Close Date", null=True, blank=True)
    description = models.TextField("Description", blank=True)
    state = models.CharField(
        "Status", max_length=10, choices=OpportunityState.choices, default=OpportunityState.OPEN
    )
    status_reason = models.CharField(
        "Status Reason",
        max_length=20,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.IN_PROGRESS,
    )
    stage = models.CharField(
        "Sales Stage", max_length=10, choices=SalesStage.choices, default=SalesStage.DEVELOP
    )
    # Develop steps
    customer_need = models.TextField("Customer Need", blank=True)
    proposed_solution = models.TextField("Proposed Solution", blank=True)
    identify_stakeholders = models.BooleanField("Identify Stakeholders", default=False)
    identify_competitors = models.BooleanField("Identify Competitors", default=False)
    # Propose steps
    identify_sales_team = models.BooleanField("Identify Sales Team", default=False)
    develop_proposal = models.BooleanField("Develop Proposal", default=False)
    complete_internal_review = models.BooleanField("Complete Internal Review", default=False)
    present_proposal = models.BooleanField("Present Proposal", default=False)
    # Close steps
    complete_final_proposal = models.BooleanField("Complete Final Proposal", default=False)
    present_final_proposal = models.BooleanField("Present Final Proposal", default=False)
    decision_date = models.DateField("Confirm Decision Date", null=True, blank=True)
    send_thank_you = models.BooleanField("Send Thank You", default=False)
    file_debrief = models.BooleanField("File De-brief", default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Owner",
        on_delete=models.PROTECT,
        related_name="opportunities",
    )

    # crm.links: an open opportunity keeps the accounts and contacts it names from being
    # deleted.
    links_block_delete_when = Q(state=OpportunityState.OPEN)

    class Meta:
        verbose_name_plural = "opportunities"
        ordering = ["-created_at"]
        indexes = [
            # My Open, Open, Won and Lost Opportunities and All Opportunities, newest first (the
            # default sort) with the grid's id tie-break, so a page comes in order from an index.
            models.Index(
                fields=["owner", "state", "-created_at", "-id"],
                name="opportunity_owner_state_newest",
            ),
            models.Index(fields=["state", "-created_at", "-id"], name="opportunity_state_newest"),
            models.Index(fields=["-created_at", "-id"], name="opportunity_newest"),
            # The Topic sort, without regard to case.
            models.Index(Lower("topic"), "id", name="opportunity_topic_ci"),
        ]
        constraints = [
            models.CheckConstraint(
                name="opportunity_has_one_potential_customer",
                condition=(
                    Q(customer_account__isnull=False, customer_contact__isnull=True)
                    | Q(customer_account__isnull=True, customer_contact__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="opportunity_budget_in_range",
                condition=Q(budget_amount__isnull=True)
                | Q(budget_amount__gte=0, budget_amount__lte=MAX_MONEY),
            ),
            models.CheckConstraint(
                name="opportunity_actual_revenue_in_range",
                condition=Q(actual_revenue__isnull=True)
                | Q(actual_revenue__gte=0, actual_revenue__lte=MAX_MONEY),
            ),
            models.CheckConstraint(
                name="opportunity_status_matches_state",
                condition=(
                    Q(
                        state=OpportunityState.OPEN,
                        status_reason__in=OPPORTUNITY_STATUS_BY_STATE[OpportunityState.OPEN],
                    )
                    | Q(
                        state=OpportunityState.WON,
                        status_reason__in=OPPORTUNITY_STATUS_BY_STATE[OpportunityState.WON],
                    )
                    | Q(
                        state=OpportunityState.LOST,
                        status_reason__in=OPPORTUNITY_STATUS_BY_STATE[OpportunityState.LOST],
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.topic

    def get_absolute_url(self) -> str:
        return reverse("crm:opportunity-detail", args=[self.pk])

    @property
    def potential_customer(self) -> Account | Contact | None:
        return self.customer_account or self.customer_contact


class TimelineEntryKind(models.TextChoices):
    NOTE = "note", "Note"
    SYSTEM = "system", "System event"
    SUMMARY = "summary", "Lead summary"


def attachment_path(instance: TimelineEntry, filename: str) -> str:
    return f"attachments/{instance.content_type_id}/{instance.object_id}/{filename}"


class TimelineEntry(models.Model):
    """A note (with an optional attachment), a system event or a lead summary on any record.

    Generic so that `crm` stays below `leads`: the lead declares a GenericRelation to it.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(max_length=10, choices=TimelineEntryKind.choices)
    title = models.CharField("Title", max_length=200, blank=True)
    body = models.TextField("Note", blank=True)
    attachment = models.FileField("Attachment", upload_to=attachment_path, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Author",
        on_delete=models.SET_NULL,
        null=True,
        related_name="timeline_entries",
    )
    created_at = models.DateTimeField("created on", auto_now_add=True)

    class Meta:
        verbose_name_plural = "timeline entries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()
