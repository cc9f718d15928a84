"""Django admin for what admins control (the settings, the field mappings) and what
qualification leaves behind (the qualification audit records, bulk jobs), read-only.

The rules live in qualification.services; the forms here only call them and place the
messages next to the right field. Importing the modules registers their admins.
"""

from __future__ import annotations

from qualification.admin import audit, mappings, settings

__all__ = ["audit", "mappings", "settings"]
