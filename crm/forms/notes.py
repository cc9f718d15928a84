"""The timeline's "Add note" form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from crm.models import TimelineEntry
from crm.services.timeline import TIMELINE_NOTE_EMPTY, attachment_too_large_message


class NoteForm(forms.ModelForm):
    """The timeline's "Add note" form; its fields are prefixed so they never clash with the
    record form on the same page (note-title, note-body, note-attachment)."""

    prefix = "note"

    class Meta:
        model = TimelineEntry
        fields = ["title", "body", "attachment"]
        labels = {"title": "Title", "body": "Note", "attachment": "Attachment"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}

    def clean_attachment(self) -> Any:
        attachment = self.cleaned_data.get("attachment")
        if attachment and attachment.size > settings.ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(attachment_too_large_message())
        return attachment

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            not (cleaned.get("title") or "").strip()
            and not (cleaned.get("body") or "").strip()
            and not cleaned.get("attachment")
            and not self.has_error("attachment")
        ):
            raise forms.ValidationError(TIMELINE_NOTE_EMPTY)
        return cleaned
