"""The lead grid's filter words about qualification records, so that each qualification figure
links to the leads behind it: `qualified:2026-04-01..2026-04-30 account:linked`.

Every word here is a condition on one qualification record of the lead (they all must hold on
the same record), one that was not undone (the figures leave undone ones out). Registered with
the grid when the app is ready (leads never imports qualification).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from crm.models import OpportunityState, SalesStage
from leads.filters import FilterWord, choice_condition, date_range_condition, filter_word_register
from qualification.models import DuplicateDecision

RELATION = "qualifications"  # Lead's reverse accessor to its qualification records
CREATED, LINKED = "created", "linked"
ANY = "any"
LINKED_ANY = "account-or-contact"

_OPPORTUNITY = {
    ANY: Q(opportunity_links__isnull=False),
    **{
        stage: Q(
            opportunity_links__opportunity__state=OpportunityState.OPEN,
            opportunity_links__opportunity__stage=stage,
        )
        for stage in SalesStage.values
    },
    OpportunityState.WON: Q(opportunity_links__opportunity__state=OpportunityState.WON),
    OpportunityState.LOST: Q(opportunity_links__opportunity__state=OpportunityState.LOST),
}
_DECISIONS = (DuplicateDecision.LINKED, DuplicateDecision.CREATED_ANYWAY)


def _record_use(record: str) -> dict[str, Q]:
    return {
        CREATED: Q(**{f"{record}_created": True}),
        LINKED: Q(**{f"{record}_created": False, f"{record}__isnull": False}),
    }


def _standing(condition: Callable[[str], Q | None]) -> Callable[[str], Q | None]:
    """The condition, on a qualification record that was not undone (as the figures count)."""

    def standing(value: str) -> Q | None:
        found = condition(value)
        return None if found is None else found & Q(undone_at__isnull=True)

    return standing


WORDS = (
    # A qualification record of these days.
    FilterWord("qualified", _standing(date_range_condition("created_at")), RELATION),
    # It created the account (contact), or linked an existing one.
    FilterWord("account", _standing(choice_condition(_record_use("account"))), RELATION),
    FilterWord("contact", _standing(choice_condition(_record_use("contact"))), RELATION),
    FilterWord(
        "linked",
        _standing(
            choice_condition(
                {LINKED_ANY: _record_use("account")[LINKED] | _record_use("contact")[LINKED]}
            )
        ),
        RELATION,
    ),
    # Its new account (contact) matched existing ones: linked to one, or created anyway.
    FilterWord(
        "account-duplicates",
        _standing(choice_condition({value: Q(account_duplicates=value) for value in _DECISIONS})),
        RELATION,
    ),
    FilterWord(
        "contact-duplicates",
        _standing(choice_condition({value: Q(contact_duplicates=value) for value in _DECISIONS})),
        RELATION,
    ),
    # It created an opportunity that is now open at this stage, won or lost (or any).
    FilterWord("opportunity", _standing(choice_condition(_OPPORTUNITY)), RELATION),
)


def filter_words_register() -> None:
    for word in WORDS:
        filter_word_register(word)
