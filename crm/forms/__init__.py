"""Forms for customer records, the process bar, the close dialogs, the merge page and the
timeline; one module per screen. They parse and validate input; the services decide and
write, and their typed errors are mapped onto the fields they name."""

from __future__ import annotations

from crm.forms.close import CloseForm
from crm.forms.merge import MergeChoicesForm, MergeSelectionForm
from crm.forms.notes import NoteForm
from crm.forms.records import AccountForm, ContactForm, OpportunityForm
from crm.forms.stages import stage_steps_form_class

__all__ = [
    "AccountForm",
    "CloseForm",
    "ContactForm",
    "MergeChoicesForm",
    "MergeSelectionForm",
    "NoteForm",
    "OpportunityForm",
    "stage_steps_form_class",
]
