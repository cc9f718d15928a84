"""The qualification figures' reads: created versus linked, duplicate decisions, pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from crm.models import OpportunityState, SalesStage
from qualification.insights.selectors.scope import InsightsScope
from qualification.models import DuplicateDecision, QualificationOpportunity

# The pipeline's rows: an open opportunity by its stage, then the won and the lost ones.
PIPELINE_BUCKETS = (*SalesStage.values, OpportunityState.WON, OpportunityState.LOST)


# Created versus linked, and the duplicate decisions ------------------------------------------


@dataclass(frozen=True)
class RecordUse:
    """What the period's qualifications did for the account and the contact."""

    qualifications: int
    accounts_created: int
    accounts_linked: int
    contacts_created: int
    contacts_linked: int
    linked_any: int  # linked an existing account or contact (or both)

    @property
    def linked_share(self) -> float | None:
        return self.linked_any / self.qualifications if self.qualifications else None


ACCOUNT_LINKED = Q(account_created=False, account__isnull=False)
CONTACT_LINKED = Q(contact_created=False, contact__isnull=False)


def qualification_counts(*, scope: InsightsScope) -> dict[str, int]:
    """The period's qualifications counted by what they did for the account and the contact
    and how their duplicate warnings were answered, in one read that the created versus
    linked and the duplicates figures share. Made once per scope."""
    linked, anyway = DuplicateDecision.LINKED, DuplicateDecision.CREATED_ANYWAY

    def read() -> dict[str, int]:
        return scope.qualifications().aggregate(
            qualifications=Count("pk"),
            accounts_created=Count("pk", filter=Q(account_created=True)),
            accounts_linked=Count("pk", filter=ACCOUNT_LINKED),
            contacts_created=Count("pk", filter=Q(contact_created=True)),
            contacts_linked=Count("pk", filter=CONTACT_LINKED),
            linked_any=Count("pk", filter=ACCOUNT_LINKED | CONTACT_LINKED),
            accounts_duplicate_linked=Count("pk", filter=Q(account_duplicates=linked)),
            accounts_created_anyway=Count("pk", filter=Q(account_duplicates=anyway)),
            contacts_duplicate_linked=Count("pk", filter=Q(contact_duplicates=linked)),
            contacts_created_anyway=Count("pk", filter=Q(contact_duplicates=anyway)),
        )

    return scope.shared("qualification_counts", read)


def insights_records_linked(*, scope: InsightsScope) -> RecordUse:
    """How many of the period's qualifications created the account and the contact, and how
    many linked existing ones instead."""
    counts = qualification_counts(scope=scope)
    return RecordUse(
        qualifications=counts["qualifications"],
        accounts_created=counts["accounts_created"],
        accounts_linked=counts["accounts_linked"],
        contacts_created=counts["contacts_created"],
        contacts_linked=counts["contacts_linked"],
        linked_any=counts["linked_any"],
    )


@dataclass(frozen=True)
class DuplicateDecisions:
    """How the period's duplicate warnings were answered, for accounts and contacts."""

    accounts_linked: int
    accounts_created_anyway: int
    contacts_linked: int
    contacts_created_anyway: int

    @property
    def stopped(self) -> int:
        """Duplicates stopped: a match was used instead of creating another record."""
        return self.accounts_linked + self.contacts_linked

    @property
    def created_anyway(self) -> int:
        return self.accounts_created_anyway + self.contacts_created_anyway


def insights_duplicate_decisions(*, scope: InsightsScope) -> DuplicateDecisions:
    """Of the period's qualifications whose new account or contact matched existing records:
    how many used a match ("use existing", or bulk's single clear match) and how many created a
    new record anyway."""
    counts = qualification_counts(scope=scope)
    return DuplicateDecisions(
        accounts_linked=counts["accounts_duplicate_linked"],
        accounts_created_anyway=counts["accounts_created_anyway"],
        contacts_linked=counts["contacts_duplicate_linked"],
        contacts_created_anyway=counts["contacts_created_anyway"],
    )


# Opportunities from leads -------------------------------------------------------------------


@dataclass(frozen=True)
class StageValue:
    bucket: str  # a SalesStage value (open opportunities), "won" or "lost"
    count: int
    value: Decimal


def insights_pipeline(*, scope: InsightsScope) -> list[StageValue]:
    """The opportunities the period's qualifications created, where they are now: open ones by
    stage, then won and lost; with their value (Est. Revenue, else the Budget Amount)."""
    opportunity = "opportunity__"
    rows = (
        QualificationOpportunity.objects.order_by()
        .filter(qualification__in=scope.qualifications())
        .annotate(
            bucket=Case(
                When(
                    **{f"{opportunity}state": OpportunityState.OPEN},
                    then=F(f"{opportunity}stage"),
                ),
                default=F(f"{opportunity}state"),
            )
        )
        .values("bucket")
        .annotate(
            count=Count("pk"),
            value=Sum(
                Coalesce(
                    f"{opportunity}estimated_revenue",
                    f"{opportunity}budget_amount",
                    Value(Decimal(0)),
                )
            ),
        )
    )
    found = {row["bucket"]: row for row in rows}
    return [
        StageValue(
            bucket=bucket,
            count=found[bucket]["count"] if bucket in found else 0,
            value=found[bucket]["value"] if bucket in found else Decimal(0),
        )
        for bucket in PIPELINE_BUCKETS
    ]
