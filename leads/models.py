"""The lead: a person and company that may become a customer, with its Qualify-stage fields.

Links "up" to the customer records (parent account, parent contact, qualifying opportunity,
originating lead) are declared here, because `crm` must not depend on `leads`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from crm.models import (
    MAX_MONEY,
    Account,
    AddressMixin,
    Contact,
    Need,
    Opportunity,
    PurchaseProcess,
    PurchaseTimeframe,
    TimelineEntry,
    TimeStampedModel,
    money_field,
)


class LeadSource(models.TextChoices):
    ADVERTISEMENT = "advertisement", "Advertisement"
    EMPLOYEE_REFERRAL = "employee_referral", "Employee Referral"
    EXTERNAL_REFERRAL = "external_referral", "External Referral"
    PARTNER = "partner", "Partner"
    PUBLIC_RELATIONS = "public_relations", "Public Relations"
    SEMINAR = "seminar", "Seminar"
    TRADE_SHOW = "trade_show", "Trade Show"
    WEB = "web", "Web"
    WORD_OF_MOUTH = "word_of_mouth", "Word of Mouth"
    OTHER = "other", "Other"


class Rating(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class LeadState(models.TextChoices):
    OPEN = "open", "Open"
    QUALIFIED = "qualified", "Qualified"
    DISQUALIFIED = "disqualified", "Disqualified"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    LOST = "lost", "Lost"
    CANNOT_CONTACT = "cannot_contact", "Cannot Contact"
    NO_LONGER_INTERESTED = "no_longer_interested", "No Longer Interested"
    CANCELED = "canceled", "Canceled"
    # Set by Merge leads on the leads merged into another one, never picked by hand.
    DUPLICATE = "duplicate", "Duplicate"


LEAD_STATUS_BY_STATE: dict[str, tuple[str, ...]] = {
    LeadState.OPEN: (LeadStatus.NEW, LeadStatus.CONTACTED),
    LeadState.QUALIFIED: (LeadStatus.QUALIFIED,),
    LeadState.DISQUALIFIED: (
        LeadStatus.LOST,
        LeadStatus.CANNOT_CONTACT,
        LeadStatus.NO_LONGER_INTERESTED,
        LeadStatus.CANCELED,
        LeadStatus.DUPLICATE,
    ),
}
# The reasons a person picks when disqualifying (Duplicate is the merge's own).
DISQUALIFY_REASONS: tuple[str, ...] = (
    LeadStatus.LOST,
    LeadStatus.CANNOT_CONTACT,
    LeadStatus.NO_LONGER_INTERESTED,
    LeadStatus.CANCELED,
)

NOT_A_DIGIT = re.compile(r"[^0-9]")
# Between the parts of the Owner sort key: below every printable character, so "smith" sorts
# before "smithers" whatever follows.
OWNER_SORT_SEPARATOR = "\x1f"
PHONE_FIELDS = ("business_phone", "mobile_phone")


def phone_digits(*phones: str) -> str:
    """The digits of each phone, the phones apart by a space: "+1 (206) 555-4049" and ""
    give "12065554049". A search for digits never matches across two phones."""
    return " ".join(digits for digits in (NOT_A_DIGIT.sub("", phone) for phone in phones) if digits)


def owner_sort_key(owner: Any) -> str:
    """The Owner column's sort key: last name, first name, user name, case ignored."""
    parts = (owner.last_name, owner.first_name, owner.get_username())
    return OWNER_SORT_SEPARATOR.join(parts).lower()


class LeadQuerySet(models.QuerySet["Lead"]):
    def bulk_create(self, objs: Iterable[Lead], *args: Any, **kwargs: Any) -> list[Lead]:
        """As Django's, with the stored copies (phone digits, Owner sort key) set first; the
        owners not already on the leads are read in one query."""
        leads = list(objs)
        missing = {lead.owner_id for lead in leads if not Lead.owner.is_cached(lead)}
        owners = self.model.owner.field.related_model._default_manager.in_bulk(missing)
        for lead in leads:
            owner = lead.owner if Lead.owner.is_cached(lead) else owners.get(lead.owner_id)
            lead.phone_digits = phone_digits(lead.business_phone, lead.mobile_phone)
            lead.owner_sort = owner_sort_key(owner) if owner else ""
        return super().bulk_create(leads, *args, **kwargs)


class Lead(AddressMixin, TimeStampedModel):
    topic = models.CharField("Topic", max_length=300)
    first_name = models.CharField("First Name", max_length=50, blank=True)
    last_name = models.CharField("Last Name", max_length=50)
    job_title = models.CharField("Job Title", max_length=100, blank=True)
    company_name = models.CharField("Company Name", max_length=100, blank=True)
    business_phone = models.CharField("Business Phone", max_length=50, blank=True)
    mobile_phone = models.CharField("Mobile Phone", max_length=50, blank=True)
    email = models.EmailField("Email", max_length=100, blank=True)
    website = models.URLField("Website", max_length=200, blank=True)
    description = models.TextField("Description", blank=True)
    lead_source = models.CharField(
        "Lead Source", max_length=20, choices=LeadSource.choices, blank=True
    )
    rating = models.CharField("Rating", max_length=10, choices=Rating.choices, blank=True)
    industry = models.CharField("Industry", max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Owner",
        on_delete=models.PROTECT,
        related_name="leads",
    )

    # Qualify stage of the process bar
    existing_account = models.ForeignKey(
        Account,
        verbose_name="Existing Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    existing_contact = models.ForeignKey(
        Contact,
        verbose_name="Existing Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    purchase_timeframe = models.CharField(
        "Purchase Timeframe", max_length=20, choices=PurchaseTimeframe.choices, blank=True
    )
    budget_amount = money_field("Budget Amount")
    purchase_process = models.CharField(
        "Purchase Process", max_length=20, choices=PurchaseProcess.choices, blank=True
    )
    decision_maker = models.BooleanField("Decision Maker identified", default=False)
    need = models.CharField("Need", max_length=20, choices=Need.choices, blank=True)
    qualification_comments = models.TextField("Qualification Comments", blank=True)

    state = models.CharField(
        "Status", max_length=15, choices=LeadState.choices, default=LeadState.OPEN
    )
    status_reason = models.CharField(
        "Status Reason", max_length=25, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    # Set by qualification: the records this lead became.
    parent_account = models.ForeignKey(
        Account,
        verbose_name="Parent Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="qualified_leads",
    )
    parent_contact = models.ForeignKey(
        Contact,
        verbose_name="Parent Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="qualified_leads",
    )
    qualifying_opportunity = models.ForeignKey(
        Opportunity,
        verbose_name="Qualifying Opportunity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="qualifying_leads",
    )

    # When the lead was last qualified or disqualified (None while open): the end of its
    # "time to decision".
    closed_at = models.DateTimeField("Closed On", null=True, blank=True, editable=False)
    # The one-time token of the New Lead form that created it: the same form posted twice
    # (a double click, a resent request) finds this lead instead of creating a second one.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    # Duplicate detection's match keys (leads.duplicates.keys fills them on every write of the
    # fields they come from): indexed lookups find a lead's candidate duplicates, which the
    # similarity rules then score.
    email_key = models.CharField(max_length=100, blank=True, default="", editable=False)
    email_domain_key = models.CharField(max_length=100, blank=True, default="", editable=False)
    business_phone_key = models.CharField(max_length=50, blank=True, default="", editable=False)
    mobile_phone_key = models.CharField(max_length=50, blank=True, default="", editable=False)
    # The folded full name: on PostgreSQL a trigram index searches it (migration 0010).
    name_key = models.CharField(max_length=101, blank=True, default="", editable=False)
    company_key = models.CharField(max_length=160, blank=True, default="", editable=False)
    # The company name's word initials: only names with the same initials can be similar.
    company_initials = models.CharField(max_length=40, blank=True, default="", editable=False)
    # Stored copies kept by save() (and LeadQuerySet.bulk_create; a renamed user's leads by
    # leads.services.owner): quick find searches the phones' digits anywhere in them through
    # a trigram index on PostgreSQL (migration 0007), and the grid sorts Owner by an index
    # instead of joining and sorting every lead.
    phone_digits = models.TextField(blank=True, default="", editable=False)
    owner_sort = models.TextField(blank=True, default="", editable=False)

    timeline = GenericRelation(TimelineEntry)

    objects = LeadQuerySet.as_manager()

    # crm.links: an open lead keeps the accounts and contacts it names (Existing Account,
    # Existing Contact) from being deleted.
    links_block_delete_when = Q(state=LeadState.OPEN)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # My Open Leads / Open Leads / Closed Leads, newest first (the default sort), with
            # the grid's tie-break on id: the rows come in page order straight from the index,
            # and a deep page skips index entries instead of sorting the view. The columns quick
            # find reads end it (after the unique id they change no order), so that a find in
            # My Open Leads counts its matches from the index alone: "Jo" was a sequential scan
            # of the table through 50,000 leads (30 to 40 ms at 1,000,000 leads) and is an
            # index-only scan through Dana's 9,600 open leads nearest the top (13 ms).
            models.Index(
                fields=[
                    "owner",
                    "state",
                    "-created_at",
                    "-id",
                    "first_name",
                    "last_name",
                    "email",
                    "business_phone",
                    "company_name",
                    "phone_digits",
                ],
                name="lead_owner_state_find",
            ),
            models.Index(fields=["state", "-created_at", "-id"], name="lead_state_newest"),
            # Status Reason and Owner sort both ways (few values, so the id tie-break must be
            # indexed in each direction).
            models.Index(fields=["status_reason", "-id"], name="lead_status_reason_up"),
            models.Index(fields=["status_reason", "id"], name="lead_status_reason_down"),
            # The same within a state (My Open Leads, Open Leads): the open reasons sort after
            # most closed ones, so without the state first the scan reads through the closed
            # leads before the first open one (100 to 200 ms at 1,000,000 leads).
            models.Index(fields=["state", "status_reason", "-id"], name="lead_state_status_up"),
            models.Index(fields=["state", "status_reason", "id"], name="lead_state_status_down"),
            models.Index(fields=["owner_sort", "-id"], name="lead_owner_sort_up"),
            models.Index(fields=["owner_sort", "id"], name="lead_owner_sort_down"),
            # Deep pages: the pager skips its OFFSET in ids alone (crm.pagination), which an
            # index-only scan reads without visiting the table when the index holds every
            # column the query names: newest first over all leads, and Open Leads by Owner.
            models.Index(fields=["-created_at", "-id"], name="lead_newest"),
            models.Index(fields=["state", "owner_sort", "-id"], name="lead_state_owner_sort"),
            # The sortable columns (text case ignored), with the id tie-break so that a page
            # comes from the index in order. Quick find's case-insensitive "begins with" and
            # the phone digits' trigrams need indexes that only PostgreSQL has (migrations
            # 0003_grid_indexes and 0007 create them there).
            # The names sort by LOWER(); PostgreSQL scans an expression index index-only only
            # when the columns the expressions read are in it too, so they end it (after the
            # unique id they change no order; INCLUDE would too, but SQLite warns about it):
            # page 800 by Name skips its 40,000 entries in the index alone. The state-first
            # one serves the open views.
            models.Index(
                Lower("last_name"),
                Lower("first_name"),
                F("id").desc(),
                F("last_name"),
                F("first_name"),
                name="lead_name_ci",
            ),
            models.Index(
                F("state"),
                Lower("last_name"),
                Lower("first_name"),
                F("id").desc(),
                F("last_name"),
                F("first_name"),
                name="lead_state_name_ci",
            ),
            models.Index(Lower("company_name"), F("id").desc(), name="lead_company_ci"),
            models.Index(Lower("email"), F("id").desc(), name="lead_email_ci"),
            models.Index(fields=["business_phone", "-id"], name="lead_phone"),
            models.Index(Lower("topic"), F("id").desc(), name="lead_topic_ci"),
            # Insights (qualification.insights) counts the leads closed in a period and the
            # leads created in one, per week, state, reason, source and owner: these serve
            # each count from the index alone (an index-only scan on PostgreSQL).
            models.Index(
                fields=["closed_at", "state", "status_reason", "created_at", "owner"],
                condition=Q(closed_at__isnull=False),
                name="lead_closed_insights",
            ),
            models.Index(
                fields=["created_at", "owner", "state", "lead_source"],
                name="lead_created_insights",
            ),
            # Lead-to-lead duplicates: the open leads sharing a match key (leads.duplicates).
            models.Index(fields=["email_key", "state"], name="lead_dup_email"),
            models.Index(fields=["business_phone_key", "state"], name="lead_dup_business_phone"),
            models.Index(fields=["mobile_phone_key", "state"], name="lead_dup_mobile_phone"),
            models.Index(fields=["company_key", "state"], name="lead_dup_company"),
            # The similar-name search's places: with the name key and the id, so that a place of
            # thousands of leads (the initials of a common kind of company name) is filtered by
            # similarity from the index alone, without a visit to each lead's row.
            models.Index(
                fields=["company_initials", "state", "name_key", "id"],
                name="lead_dup_company_names",
            ),
            models.Index(
                fields=["email_domain_key", "state", "name_key", "id"], name="lead_dup_domain_names"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="lead_status_matches_state",
                condition=(
                    Q(state=LeadState.OPEN, status_reason__in=LEAD_STATUS_BY_STATE["open"])
                    | Q(
                        state=LeadState.QUALIFIED,
                        status_reason__in=LEAD_STATUS_BY_STATE["qualified"],
                    )
                    | Q(
                        state=LeadState.DISQUALIFIED,
                        status_reason__in=LEAD_STATUS_BY_STATE["disqualified"],
                    )
                ),
            ),
            models.CheckConstraint(
                name="lead_budget_in_range",
                condition=Q(budget_amount__isnull=True)
                | Q(budget_amount__gte=0, budget_amount__lte=MAX_MONEY),
            ),
        ]
        permissions = [("manage_all_leads", "Can work on any salesperson's leads")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.topic})" if self.full_name else self.topic

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, *, fetch_mode: Any = None) -> Lead:
        # The owner it was read with: save() rewrites the Owner sort key when it changed.
        lead = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        lead._loaded_owner_id = lead.__dict__.get("owner_id")
        return lead

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saves, with the stored copies of the phones' digits and of the owner's sort key
        brought up to date when what they copy is saved."""
        update_fields = kwargs.get("update_fields")
        saved = None if update_fields is None else set(update_fields)
        derived = []
        if saved is None or saved & {*PHONE_FIELDS}:
            self.phone_digits = phone_digits(self.business_phone, self.mobile_phone)
            derived.append("phone_digits")
        new_owner = getattr(self, "_loaded_owner_id", None) != self.owner_id
        if (saved is None and new_owner) or (saved is not None and saved & {"owner", "owner_id"}):
            self.owner_sort = owner_sort_key(self.owner)
            derived.append("owner_sort")
        if saved is not None:
            kwargs["update_fields"] = [*saved, *derived]
        super().save(*args, **kwargs)
        self._loaded_owner_id = self.owner_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.state == LeadState.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state != LeadState.OPEN

    def get_absolute_url(self) -> str:
        return reverse("leads:lead-detail", args=[self.pk])


class LeadOrigin(models.Model):
    """The "Originating Lead" of an account, contact or opportunity created from a lead.

    Set once when qualification creates the record, never changed: read it as
    `record.origin.lead`. Declared here rather than as a field on the crm records so that `crm`
    does not depend on `leads`.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="origins")
    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="origin"
    )
    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="origin"
    )
    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, null=True, blank=True, related_name="origin"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="lead_origin_names_one_record",
                condition=(
                    Q(account__isnull=False, contact__isnull=True, opportunity__isnull=True)
                    | Q(account__isnull=True, contact__isnull=False, opportunity__isnull=True)
                    | Q(account__isnull=True, contact__isnull=True, opportunity__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"Originating lead {self.lead_id}"


class LeadGridColumns(models.Model):
    """The lead grid's columns one user chose (keys of leads.columns.LEAD_COLUMNS, in the
    grid's order). No row: the default columns."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_grid_columns"
    )
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "lead grid columns"
        verbose_name_plural = "lead grid columns"

    def __str__(self) -> str:
        return f"Lead grid columns of user {self.user_id}"
