"""How the leads of bench/load_data.py fared: where they came from and how long a decision
took (`LeadOutcomes`), and how each qualified lead was qualified (`QualificationHistory`: the
qualification record the engine would have left, bulk or not, which experience, account and
contact created or linked, the duplicate dialog's answers) and which opportunities were lost.

Drawn from a random generator of its own, so that adding this history left the leads the loader
made before as they were (they gained `closed_at`); accounts created anyway and contacts linked
instead of created changed the count of those a little.

The shares, per qualified lead: a company qualified before has its account found again by
duplicate detection; the salesperson uses it (LINKED_SHARE) or creates a second account anyway
(CREATED_ANYWAY_SHARE), and the rest named the account on the lead already (linked, no warning).
A few contacts match one already at the linked account: used, or created anyway.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SEED = 2027
BULK_SHARE = 0.25
LEGACY_SHARE = 0.15
LINKED_SHARE = 0.82
CREATED_ANYWAY_SHARE = 0.08
CONTACT_LINKED_SHARE = 0.06
CONTACT_CREATED_ANYWAY_SHARE = 0.02
LOST_SHARE = 0.12  # of the opportunities still open


# Lead sources: (share of the leads, how much likelier to be qualified, to be disqualified).
SOURCES = {
    "web": (28, 0.8, 1.2),
    "trade_show": (12, 1.1, 0.9),
    "advertisement": (10, 0.6, 1.5),
    "partner": (8, 1.5, 0.7),
    "seminar": (8, 1.0, 1.0),
    "word_of_mouth": (8, 1.3, 0.8),
    "employee_referral": (7, 2.0, 0.6),
    "external_referral": (7, 1.6, 0.7),
    "other": (7, 0.7, 1.3),
    "public_relations": (5, 0.9, 1.1),
}
QUALIFY_DAYS, DISQUALIFY_DAYS = 14, 30  # the longest a decision took


class LeadOutcomes:
    """Each lead's source, drawn so that sources qualify at different rates, and when a
    closed lead was decided: qualified within two weeks, disqualified within a month."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED + 1)
        self.weights = {
            state: [
                share * (1, qualified, disqualified)[index]
                for share, qualified, disqualified in SOURCES.values()
            ]
            for index, state in enumerate(("open", "qualified", "disqualified"))
        }

    def source(self, state: str) -> str:
        return self.rng.choices(list(SOURCES), self.weights[state])[0]

    def closed_at(self, state: str, created_at: datetime, now: datetime) -> datetime | None:
        if state == "open":
            return None
        longest = QUALIFY_DAYS if state == "qualified" else DISQUALIFY_DAYS
        closed_at = created_at + timedelta(days=self.rng.triangular(0, longest, longest / 4))
        # A lead of the last few days was decided since it came in, not all of them today.
        return (
            closed_at if closed_at <= now else created_at + (now - created_at) * self.rng.random()
        )


@dataclass(frozen=True)
class Use:
    """What one qualification did with a record: "created" or "linked", and the duplicate
    decision ("" when no duplicates were found, "linked" or "created_anyway")."""

    created: bool
    duplicates: str = ""


CREATED = Use(created=True)


class QualificationHistory:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.records: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []

    def account_use(self, *, company_known: bool) -> Use:
        if not company_known:
            return CREATED
        draw = self.rng.random()
        if draw < LINKED_SHARE:
            return Use(created=False, duplicates="linked")
        if draw < LINKED_SHARE + CREATED_ANYWAY_SHARE:
            return Use(created=True, duplicates="created_anyway")
        return Use(created=False)

    def contact_use(self, *, has_earlier_contact: bool) -> Use:
        draw = self.rng.random() if has_earlier_contact else 1.0
        if draw < CONTACT_LINKED_SHARE:
            return Use(created=False, duplicates="linked")
        if draw < CONTACT_LINKED_SHARE + CONTACT_CREATED_ANYWAY_SHARE:
            return Use(created=True, duplicates="created_anyway")
        return CREATED

    def lost(self) -> bool:
        return self.rng.random() < LOST_SHARE

    def record(
        self,
        *,
        lead: dict[str, Any],
        account: dict[str, Any],
        account_use: Use,
        contact: dict[str, Any],
        contact_use: Use,
        opportunity: dict[str, Any],
        at: datetime,
    ) -> None:
        """The qualification record of `lead`, and its link to the opportunity it created."""
        matches = {}
        if account_use.duplicates:
            matches["account"] = [{"id": account["id"], "label": account["name"]}]
        if contact_use.duplicates:
            name = f"{contact['first_name']} {contact['last_name']}"
            matches["contact"] = [{"id": contact["id"], "label": name}]
        bulk = self.rng.random() < BULK_SHARE
        self.records.append(
            {
                "id": len(self.records) + 1,
                "lead_id": lead["id"],
                "lead_label": f"{lead['first_name']} {lead['last_name']} ({lead['topic']})"[:400],
                "qualified_by_id": lead["owner_id"],
                "experience": "legacy" if self.rng.random() < LEGACY_SHARE else "new",
                "bulk": bulk,
                "account_id": account["id"],
                "account_created": account_use.created,
                "contact_id": contact["id"],
                "contact_created": contact_use.created,
                "account_duplicates": account_use.duplicates,
                "contact_duplicates": contact_use.duplicates,
                "duplicate_matches": matches,
                "created_at": at,
            }
        )
        self.links.append(
            {
                "id": len(self.links) + 1,
                "qualification_id": len(self.records),
                "opportunity_id": opportunity["id"],
                "position": 0,
            }
        )
