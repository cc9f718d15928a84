"""Which match rules apply: the admin's switches on QualificationSettings, read once per
qualify."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DuplicateRules:
    """Which match rules apply (the admin's switches on QualificationSettings)."""

    account_by_name: bool = True  # same normalised name
    account_by_similar_name: bool = True  # typos, word order, Intl/International, &/and
    account_by_domain: bool = True  # same website domain
    account_by_phone: bool = True  # same main phone (digits, country code tolerant)
    contact_by_email: bool = True  # same email
    contact_by_phone: bool = True  # same business or mobile phone
    # A similar full name within the same account, company or (not free-mail) email domain.
    contact_by_name: bool = True
    contact_by_reversed_name: bool = True  # with contact_by_name: "Smith, John", swapped names

    @classmethod
    def from_settings(cls, qualification_settings: object) -> DuplicateRules:
        return cls(
            **{
                name: getattr(qualification_settings, f"match_{name}", True)
                for name in cls.__dataclass_fields__
            }
        )


NO_RULES = DuplicateRules(**dict.fromkeys(DuplicateRules.__dataclass_fields__, False))


# Where the switches are stored is the business of the app that shows them to admins (above
# every app that matches): it registers how to read them, so an app below it reads the same
# switches without importing it.
_loaders: list[Callable[[], DuplicateRules | None]] = []


def duplicate_rules_loader_register(loader: Callable[[], DuplicateRules | None]) -> None:
    """Set how the current rules are read (one loader; registering again replaces it)."""
    _loaders[:] = [loader]


def duplicate_rules_current() -> DuplicateRules | None:
    """The rules that apply now, None when detection is off: the registered loader's (every
    rule on without one)."""
    return _loaders[0]() if _loaders else DuplicateRules()
