"""Forms for customer records, the process bar and the timeline; one module per screen. They
parse and validate input; the services decide and write."""

from __future__ import annotations

from crm.forms.notes import NoteForm
from crm.forms.stages import stage_steps_form_class

__all__ = ["NoteForm", "stage_steps_form_class"]
