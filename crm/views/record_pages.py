"""What the account, contact and opportunity pages share: New, Edit in place (the Details card
becomes the form), Delete with its confirmation dialog, and notes on the timeline.

Each record type describes its page once (`RecordPage`); the views of accounts.py, contacts.py
and opportunities.py hand it to these functions. Whether the user may change the record now is
the services' answer (`record_change_refusal`), shown by the page and asked again, locked, by
every write.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from crm import selectors
from crm.forms import NoteForm
from crm.http import HtmxHttpRequest, navigate, render_dialog, render_forbidden, render_page
from crm.services.deletion import record_delete_refusal
from crm.services.errors import OpportunityPermissionError, RecordError, RecordPermissionError
from crm.services.locks import record_change_refusal
from crm.services.notes import record_note_add
from crm.services.timeline import TimelineError

SAVED = "{record} saved."
CREATED = "{record} created."
DELETED = "{record} deleted."
NOTE_ADDED = "Note added."
PERMISSION_ERRORS = (RecordPermissionError, OpportunityPermissionError)


@dataclass(frozen=True)
class RecordPage:
    """One record type's page: `name` ("account") names its URLs (crm:account-detail,
    crm:account-edit, ...) and its services' keyword (account_update(account=...))."""

    name: str
    template: str  # the record's page, with the partials "record-details" and "timeline"
    form_class: type[forms.ModelForm]
    get: Callable[..., models.Model]  # the selector: get(pk=...)
    update: Callable[..., models.Model]
    context: Callable[..., dict[str, Any]]  # the page's context: context(request, record, ...)
    create: Callable[..., models.Model] | None = None
    delete: Callable[..., None] | None = None

    def url(self, action: str, record: models.Model | None = None) -> str:
        return reverse(f"crm:{self.name}-{action}", args=[record.pk] if record else [])

    def label(self) -> str:
        return self.name.capitalize()

    def plural(self) -> str:
        return str(self.form_class._meta.model._meta.verbose_name_plural).capitalize()


def record_context(
    request: HtmxHttpRequest,
    page: RecordPage,
    record: models.Model,
    *,
    form: forms.ModelForm | None = None,
    note_form: NoteForm | None = None,
) -> dict[str, Any]:
    """The context of an account or contact page (the opportunity has its own)."""
    refusal = record_change_refusal(record, acting_user=request.user)
    can_create = request.user.has_perm(f"crm.add_{page.name}")
    return {
        page.name: record,
        "record": record,
        "page_title": str(record),
        "can_change": refusal is None,
        "read_only_notice": refusal.message if refusal is not None else "",
        "new_url": page.url("create") if can_create else "",
        "edit_url": page.url("edit", record),
        "delete_url": page.url("delete", record),
        "list_url": page.url("list"),
        "list_label": page.plural(),
        "form": form,
        "origin_lead": selectors.originating_lead(record),
        "timeline_entries": selectors.timeline_for(record=record),
        "note_form": note_form or NoteForm(),
        "note_add_url": page.url("note-add", record),
        "can_add_note": refusal is None,
    }


def _forbidden(request: HtmxHttpRequest, record: models.Model) -> HttpResponse | None:
    """403 with the reason when the user may not change the record at all."""
    refusal = record_change_refusal(record, acting_user=request.user)
    if isinstance(refusal, PERMISSION_ERRORS):
        return render_forbidden(request, refusal.message)
    return None


def _delete_refusal(request: HtmxHttpRequest, record: models.Model) -> str:
    refusal = record_delete_refusal(record=record, acting_user=request.user)
    return refusal.message if refusal is not None else ""


def _map_error(form: forms.BaseForm, error: RecordError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def record_detail(request: HtmxHttpRequest, page: RecordPage, pk: int) -> HttpResponse:
    record = page.get(pk=pk)
    context = page.context(request, record)
    if request.htmx and request.htmx.target in ("record-details", "timeline"):
        # Cancel in the edit form, or a fragment reloading itself after an event.
        return render_page(request, page.template, request.htmx.target, context)
    return render(request, page.template, context)


def record_edit(request: HtmxHttpRequest, page: RecordPage, pk: int) -> HttpResponse:
    """GET: the Details card as a form. POST: save it; errors come back in the form."""
    record = page.get(pk=pk)
    refusal = record_change_refusal(record, acting_user=request.user)
    if refusal is not None:
        if isinstance(refusal, PERMISSION_ERRORS):
            return render_forbidden(request, refusal.message)
        messages.error(request, refusal.message)
        return navigate(request, record.get_absolute_url())
    # The form works on a copy: the page around it shows the stored record, not what was typed.
    data = request.POST if request.method == "POST" else None
    form = page.form_class(data, instance=copy.copy(record))
    if form.is_bound and form.is_valid():
        try:
            page.update(**{page.name: record}, acting_user=request.user, **form.cleaned_data)
        except RecordError as error:
            _map_error(form, error)
        else:
            messages.success(request, SAVED.format(record=page.label()))
            return navigate(request, record.get_absolute_url())
    context = page.context(request, record, form=form)
    return render_page(request, page.template, "record-details", context)


def record_create(request: HtmxHttpRequest, page: RecordPage) -> HttpResponse:
    if page.create is None:
        raise Http404
    form = page.form_class(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            record = page.create(owner=request.user, **form.cleaned_data)
        except RecordError as error:
            _map_error(form, error)
        else:
            messages.success(request, CREATED.format(record=page.label()))
            return redirect(record)
    context = {"page_title": f"New {page.label()}", "form": form, "cancel_url": page.url("list")}
    return render(request, "crm/record_new.html", context)


def record_delete(request: HtmxHttpRequest, page: RecordPage, pk: int) -> HttpResponse:
    """GET: the confirmation dialog, saying first why the delete would be refused. POST:
    delete and go to the list."""
    if page.delete is None:
        raise Http404
    record = page.get(pk=pk)
    if forbidden := _forbidden(request, record):
        return forbidden
    error = ""
    if request.method == "POST":
        try:
            page.delete(**{page.name: record}, acting_user=request.user)
        except RecordError as refused:
            error = refused.message
        else:
            messages.success(request, DELETED.format(record=page.label()))
            return navigate(request, page.url("list"))
    refusal = error or _delete_refusal(request, record)
    context = {
        "page_title": f"Delete {page.name}",
        "record": record,
        "page": page,
        "refusal": refusal,
        "action": page.url("delete", record),
        "cancel_url": record.get_absolute_url(),
    }
    return render_dialog(request, "crm/record_delete.html", "delete-dialog", context)


def record_note(request: HtmxHttpRequest, page: RecordPage, pk: int) -> HttpResponse:
    record = page.get(pk=pk)
    if forbidden := _forbidden(request, record):
        return forbidden
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            record_note_add(record=record, acting_user=request.user, **form.cleaned_data)
        except (RecordError, TimelineError) as error:
            form.add_error(None, error.message)
        else:
            if not request.htmx:
                messages.success(request, NOTE_ADDED)
                return redirect(record)
            form = None
    context = page.context(request, record, note_form=form)
    return render_page(request, page.template, "timeline", context)
