"""Filter words in the lead grid's quick find: `status:lost closed:2026-04-01..2026-04-30`.

The Insights page links each figure to the grid with the words that select the leads behind it.
The grid passes its quick find text to `lead_list`, which takes out every word it knows and
filters by it; the rest of the text is quick find as before. A word with an unknown key or value
stays quick find text, so nothing anyone searched for before changes meaning.

The words about the lead itself are declared here. An app above `leads` adds words about its own
records with `filter_word_register` (qualification: `qualified:`, `account:`, ...), so that
`leads` never imports it: such a word's condition is on the related model, and every word about
one relation must hold on the same related row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from leads.models import Lead, LeadSource, LeadState, LeadStatus

RANGE_SEPARATOR = ".."
NO_SOURCE = "none"
CLOSED = "closed"  # status:closed = qualified or disqualified


@dataclass(frozen=True)
class FilterWord:
    key: str
    # The condition for a value, or None for a value this word does not know.
    condition: Callable[[str], Q | None]
    # "" for a condition on the lead; else a reverse accessor of Lead ("qualifications") whose
    # model the condition is written on.
    related: str = ""


FILTER_WORDS: dict[str, FilterWord] = {}


def filter_word_register(word: FilterWord) -> None:
    FILTER_WORDS[word.key] = word


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def date_range_value(start: date, end: date) -> str:
    """The value of a date word: `2026-04-01..2026-04-30` (both days included)."""
    return f"{start.isoformat()}{RANGE_SEPARATOR}{end.isoformat()}"


def date_range_condition(field: str) -> Callable[[str], Q | None]:
    """A word's condition on a datetime field: one day, or `first..last` (both included)."""

    def condition(value: str) -> Q | None:
        first, _, last = value.partition(RANGE_SEPARATOR)
        try:
            start = date.fromisoformat(first)
            end = date.fromisoformat(last) if last else start
        except ValueError:
            return None
        if end < start:
            return None
        since, until = day_start(start), day_start(end + timedelta(days=1))
        return Q(**{f"{field}__gte": since, f"{field}__lt": until})

    return condition


def choice_condition(conditions: dict[str, Q]) -> Callable[[str], Q | None]:
    return conditions.get


def filter_text(words: Iterable[tuple[str, str]]) -> str:
    """Quick find text for the words: [("status", "lost"), ("owner", "7")] gives
    "status:lost owner:7"."""
    return " ".join(f"{key}:{value}" for key, value in words)


def _owner(value: str) -> Q | None:
    return Q(owner_id=int(value)) if value.isdigit() else None


_STATUS = {
    **{state: Q(state=state) for state in LeadState.values},
    **{reason: Q(status_reason=reason) for reason in LeadStatus.values},
    CLOSED: Q(state__in=[LeadState.QUALIFIED, LeadState.DISQUALIFIED]),
}
_SOURCE = {
    **{source: Q(lead_source=source) for source in LeadSource.values},
    NO_SOURCE: Q(lead_source=""),
}

for _word in (
    FilterWord("owner", _owner),
    FilterWord("status", choice_condition(_STATUS)),
    FilterWord("source", choice_condition(_SOURCE)),
    FilterWord("created", date_range_condition("created_at")),
    FilterWord("closed", date_range_condition("closed_at")),
):
    filter_word_register(_word)


def lead_filter_split(text: str) -> tuple[Q, str]:
    """The condition of the filter words in `text`, and the rest of it (quick find's text)."""
    on_lead = Q()
    on_related: dict[str, Q] = {}
    rest = []
    for token in text.split():
        key, colon, value = token.partition(":")
        word = FILTER_WORDS.get(key) if colon else None
        condition = word.condition(value) if word else None
        if condition is None:
            rest.append(token)
        elif word.related:
            on_related[word.related] = on_related.get(word.related, Q()) & condition
        else:
            on_lead &= condition
    if not on_related and on_lead == Q():
        return Q(), text
    for accessor, condition in on_related.items():
        relation = Lead._meta.get_field(accessor)
        rows = relation.related_model.objects.filter(condition).values(relation.field.attname)
        on_lead &= Q(pk__in=rows)
    return on_lead, " ".join(rest)
