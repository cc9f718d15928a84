"""The one base of every domain error in the project.

A service refuses what it cannot do by raising a subclass of `DomainError` whose `message` is
what the screens (and the API) show as it is. Views catch the base; tests assert the message
constants each app defines next to its errors. `crm` is the lowest app, so every app can
subclass it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a user can understand; `message` is shown as it is."""

    message: str = "This could not be done."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.message
        super().__init__(self.message)
