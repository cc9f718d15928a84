"""What admins control (settings, field mappings) and what qualification leaves behind (the
qualification record, the audit trail of every link, and background bulk jobs)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from crm.models import Account, Contact, Opportunity, TimeStampedModel
from leads.models import Lead

SETTINGS_PK = 1
MAX_OPPORTUNITIES = 5
DEFAULT_QUICK_CREATE_FIELDS = [
    "topic",
    "estimated_revenue",
    "estimated_close_date",
    "purchase_timeframe",
    "description",
]


class Experience(models.TextChoices):
    NEW = "new", "New"
    LEGACY = "legacy", "Legacy"


class CreationMode(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic"
    SALESPERSON = "salesperson", "Salesperson"


class RecordType(models.TextChoices):
    ACCOUNT = "account", "Account"
    CONTACT = "contact", "Contact"
    OPPORTUNITY = "opportunity", "Opportunity"


class LinkedPolicy(models.TextChoices):
    """What a mapping does to an existing account or contact a qualify links to."""

    FILL_EMPTY = "fill_empty", "Fill empty fields"
    OVERWRITE = "overwrite", "Overwrite"
    NEVER = "never", "Never"


class QualificationSettings(models.Model):
    """The one settings record; read it with `QualificationSettings.load()`."""

    experience = models.CharField(
        "Experience",
        max_length=10,
        choices=Experience.choices,
        default=Experience.NEW,
        help_text=(
            "New: per record type, Automatic or chosen by the salesperson in the Qualify lead "
            "side pane. Legacy: everything automatic, or a dialog with three checkboxes."
        ),
    )
    legacy_create_automatically = models.BooleanField(
        "Create account, contact and opportunity automatically",
        default=True,
        help_text=(
            "Legacy only. On: Qualify creates all three at once. Off: the salesperson ticks "
            "which of Account, Contact and Opportunity to create."
        ),
    )
    account_mode = models.CharField(
        "Account",
        max_length=12,
        choices=CreationMode.choices,
        default=CreationMode.AUTOMATIC,
        help_text="New only. Salesperson: create new, use existing or skip in the side pane.",
    )
    contact_mode = models.CharField(
        "Contact",
        max_length=12,
        choices=CreationMode.choices,
        default=CreationMode.AUTOMATIC,
        help_text="New only. Salesperson: create new, use existing or skip in the side pane.",
    )
    opportunity_mode = models.CharField(
        "Opportunity",
        max_length=12,
        choices=CreationMode.choices,
        default=CreationMode.AUTOMATIC,
        help_text="New only. Salesperson: the side pane shows the opportunity to edit or remove.",
    )
    allow_multiple_opportunities = models.BooleanField(
        "Let salespeople create up to 5 opportunities",
        default=False,
        help_text="Needs Experience = New and Opportunity = Salesperson.",
    )
    opportunity_quick_create_fields = models.JSONField(
        "Opportunity quick-create fields",
        default=list,
        blank=True,
        help_text=(
            "The opportunity fields shown in each quick-create form of the side pane, in order. "
            "Topic is always shown first."
        ),
    )
    summarize_after_qualify = models.BooleanField(
        "Summarize the lead after it is qualified",
        default=False,
        help_text=(
            "New only. Shows the Lead qualified page with a summary, and adds the summary to "
            "the timeline of the lead and of the primary opportunity."
        ),
    )
    detect_duplicates = models.BooleanField(
        "Detect duplicates",
        default=True,
        help_text="Check new accounts and contacts against existing ones before creating them.",
    )
    match_account_by_name = models.BooleanField(
        "Account: same name",
        default=True,
        help_text="Case, punctuation and legal suffixes (Inc, Ltd, GmbH, LLC, ...) ignored.",
    )
    match_account_by_similar_name = models.BooleanField(
        "Account: similar name",
        default=True,
        help_text=(
            "Typos (Contosso), word order, abbreviations (Intl / International) and & / and; "
            "shows the similarity, e.g. “similar name 0.93”."
        ),
    )
    match_account_by_domain = models.BooleanField("Account: same website domain", default=True)
    match_account_by_phone = models.BooleanField(
        "Account: same main phone",
        default=True,
        help_text="Digits compared: formats and the country code ignored.",
    )
    match_contact_by_email = models.BooleanField(
        "Contact: same email", default=True, help_text="Case ignored."
    )
    match_contact_by_phone = models.BooleanField(
        "Contact: same phone",
        default=True,
        help_text=(
            "Business or mobile phone, digits compared: formats and the country code ignored."
        ),
    )
    match_contact_by_name = models.BooleanField(
        "Contact: similar full name within the same account or email domain",
        default=True,
        help_text=(
            "Typos, nicknames (Bob / Robert), accents and apostrophes (José / Jose, O\u2019Brien / "
            "OBrien) ignored. A name alone never matches: the account, the company or the "
            "email domain (not a free-mail one) must be the same too."
        ),
    )
    match_contact_by_reversed_name = models.BooleanField(
        "Contact: name written “Last, First”",
        default=True,
        help_text=(
            "With the similar-name rule: “Smith, John” or first and last name swapped match "
            "John Smith."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "qualification settings"
        verbose_name_plural = "qualification settings"
        constraints = [
            models.CheckConstraint(name="qualification_settings_singleton", condition=Q(pk=1))
        ]

    def __str__(self) -> str:
        return "Qualification settings"

    @classmethod
    def load(cls) -> QualificationSettings:
        obj, _ = cls.objects.get_or_create(
            pk=SETTINGS_PK,
            defaults={"opportunity_quick_create_fields": list(DEFAULT_QUICK_CREATE_FIELDS)},
        )
        return obj


class FieldMapping(models.Model):
    """Copies a lead field onto a new account, contact or opportunity at qualification."""

    target = models.CharField("Record type", max_length=12, choices=RecordType.choices)
    source_field = models.CharField("Lead field", max_length=50)
    target_field = models.CharField("Target field", max_length=50)
    is_default = models.BooleanField("Default", default=False, editable=False)
    linked_policy = models.CharField(
        "When linking to an existing record",
        max_length=12,
        choices=LinkedPolicy.choices,
        default=LinkedPolicy.FILL_EMPTY,
        help_text=(
            "Account and contact mappings only. Fill empty fields: the lead's value goes into "
            "the existing record's field only when that is empty. Overwrite: the lead's value "
            "replaces it. Never: the existing record keeps its value. In the side pane the "
            "salesperson can choose per field; bulk qualify applies this without asking."
        ),
    )

    class Meta:
        ordering = ["target", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "target_field"], name="field_mapping_one_source_per_target"
            )
        ]

    def __str__(self) -> str:
        return f"Lead.{self.source_field} -> {self.get_target_display()}.{self.target_field}"


class DuplicateDecision(models.TextChoices):
    """What happened to the duplicates a new account or contact matched (the audit says it)."""

    NONE = "", "No duplicates found"
    LINKED = "linked", "Linked to a match"
    CREATED_ANYWAY = "created_anyway", "Created new anyway"


class Qualification(models.Model):
    """The audit record of one qualification: who, when, how, and what was created or linked."""

    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, related_name="qualifications"
    )
    lead_label = models.CharField(max_length=400)
    qualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qualifications"
    )
    experience = models.CharField(max_length=10, choices=Experience.choices)
    bulk = models.BooleanField(default=False)
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="qualifications"
    )
    account_created = models.BooleanField(default=False)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="qualifications"
    )
    contact_created = models.BooleanField(default=False)
    # Duplicate detection's part: the matches a new account or contact had, and what was done
    # about them (linked to one, or created anyway from the duplicate dialog).
    account_duplicates = models.CharField(
        "Account duplicates", max_length=20, choices=DuplicateDecision.choices, blank=True
    )
    contact_duplicates = models.CharField(
        "Contact duplicates", max_length=20, choices=DuplicateDecision.choices, blank=True
    )
    # {"account": [{"id": 1, "label": "Contoso Ltd"}], "contact": [...]}: the records matched,
    # named as they were then (a record may be renamed or deleted later).
    duplicate_matches = models.JSONField("Matches found", default=dict, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The lead's open status before it was qualified (New or Contacted): an undo puts it back.
    # Empty on records written before it was kept (an undo then uses New).
    lead_status_before = models.CharField(max_length=25, blank=True, editable=False)
    # The background bulk job that made it, so that the job's page can undo the whole job.
    bulk_job = models.ForeignKey(
        "BulkQualifyJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="qualifications",
    )
    # Set by an undo (qualification.services.undo): the record stays as the audit of both.
    undone_at = models.DateTimeField("Undone on", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Undone by",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="qualifications_undone",
    )
    # What the undo did, named as the records were then (they are deleted, or lose the link):
    # [{"record_type": "account", "id": 3, "label": "Contoso Ltd", "action": "deleted"}].
    undone_records = models.JSONField("Undo", default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead_label} qualified by {self.qualified_by}"


class LinkedFieldChange(models.Model):
    """One field a qualification changed on an existing account or contact it linked to: the
    value before and after (JSON, dates and decimals as strings), so the change can be shown
    in the audit and put back by an undo (`field.to_python(old_value)`)."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="linked_changes"
    )
    record_type = models.CharField(
        "Record type",
        max_length=12,
        choices=[(RecordType.ACCOUNT, "Account"), (RecordType.CONTACT, "Contact")],
    )
    record_id = models.PositiveBigIntegerField("Record id")
    field = models.CharField("Field", max_length=50)
    old_value = models.JSONField("Old value", null=True, blank=True, encoder=DjangoJSONEncoder)
    new_value = models.JSONField("New value", null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["qualification", "record_type", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "record_type", "field"],
                name="linked_field_change_one_per_field",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_record_type_display()} {self.record_id}.{self.field}"


class QualificationOpportunity(models.Model):
    """An opportunity a qualification created; position 0 is the primary one."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="opportunity_links"
    )
    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, related_name="qualification_link"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "position"], name="qualification_opportunity_position"
            )
        ]

    def __str__(self) -> str:
        return f"Opportunity {self.position + 1} of qualification {self.qualification_id}"


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BulkQualifyJob(TimeStampedModel):
    """A bulk qualify over a selection; large ones run in the background task worker.

    `processed` advances in the same transaction as each chunk's writes, so a worker killed
    half-way resumes after the last committed chunk and never qualifies a lead twice.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_qualify_jobs"
    )
    lead_ids = models.JSONField(default=list)
    create_account = models.BooleanField(default=True)
    create_contact = models.BooleanField(default=True)
    create_opportunity = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    qualified_count = models.PositiveIntegerField(default=0)
    # What the qualified leads became (a record shared by leads of the job counts once).
    accounts_created = models.PositiveIntegerField(default=0)
    accounts_linked = models.PositiveIntegerField(default=0)
    contacts_created = models.PositiveIntegerField(default=0)
    contacts_linked = models.PositiveIntegerField(default=0)
    opportunities_created = models.PositiveIntegerField(default=0)
    # [{"lead_id": 1, "label": "...", "reason": "..."}]
    failures = models.JSONField(default=list)
    # [{"lead_id": 1, "label": "...", "reason": "..."}]: left open, several possible matches.
    needs_review = models.JSONField(default=list)
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The selection and options as one key: the same selection posted again while its job is
    # queued or running (a double click) finds that job instead of starting a second one.
    selection_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "selection_key"],
                condition=Q(status__in=["queued", "running"]) & ~Q(selection_key=""),
                name="bulk_job_one_active_per_selection",
            )
        ]

    def __str__(self) -> str:
        return f"Bulk qualify #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.processed / self.total)
