"""Merge duplicates: the side-by-side page (`/accounts/merge/?ids=3&ids=7`, the start URL the
grids' Merge command and the duplicate dialog open) and the merge itself (POST)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import models
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from crm.forms import MergeChoicesForm, MergeSelectionForm
from crm.http import HtmxHttpRequest, navigate, render_page
from crm.models import Account, Contact
from crm.selectors import merge as merge_selectors
from crm.services.errors import MergeRecordGoneError, RecordError
from crm.services.merge import merge_ids_check, records_merge, records_merge_refusal

MERGED = "Merged {count} {records} into {master}."
TEMPLATE = "crm/merge.html"


def _page_context(model: type[models.Model]) -> dict[str, Any]:
    name = model._meta.model_name
    return {
        "page_title": f"Merge {model._meta.verbose_name_plural}",
        "records_word": model._meta.verbose_name_plural,
        "merge_url": reverse(f"crm:{name}-merge"),
        "list_url": reverse(f"crm:{name}-list"),
        "records": [],
    }


def _merge_context(
    request: HtmxHttpRequest,
    model: type[models.Model],
    selection: tuple[int, list[int]] | None,
    *,
    error: str = "",
    sources: dict[str, int] | None = None,
) -> dict[str, Any]:
    context = _page_context(model) | {"error": error}
    if selection is None:
        return context
    master_id, other_ids = selection
    try:
        merge_ids_check(model=model, master_id=master_id, other_ids=other_ids)
    except RecordError as refused:
        return context | {"error": error or refused.message}
    records = merge_selectors.merge_records(model=model, ids=[master_id, *other_ids])
    if len(records) != len(other_ids) + 1:
        return context | {"error": MergeRecordGoneError(records=context["records_word"]).message}
    defaults = merge_selectors.merge_sources_default(
        model=model, records=records, master_id=master_id
    )
    # Choices posted with a refused merge are shown again, where they name one of the records.
    chosen = {name: pk for name, pk in (sources or {}).items() if pk in {r.pk for r in records}}
    refusal = records_merge_refusal(records=records, acting_user=request.user)
    counts = merge_selectors.merge_link_counts(model=model, ids=[master_id, *other_ids])
    return context | {
        "records": records,
        "master_id": master_id,
        "columns": [(record, counts[record.pk]) for record in records],
        "rows": merge_selectors.merge_rows(model=model, records=records, sources=defaults | chosen),
        "refusal": refusal.message if refusal is not None else "",
    }


def _merge(request: HtmxHttpRequest, model: type[models.Model]) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    selection_form = MergeSelectionForm(data, model=model)
    selection = selection_form.selection()
    error = "" if selection is not None else selection_form.refusal()
    choices = MergeChoicesForm(request.POST if request.method == "POST" else None, model=model)
    if choices.is_bound and selection is not None:
        if not choices.is_valid():
            error = choices.refusal()
        else:
            try:
                master = _merged(request, model, selection, choices.field_sources())
            except RecordError as refused:
                error = refused.message
            else:
                return navigate(request, master.get_absolute_url())
    sources = choices.field_sources() if choices.is_bound and choices.is_valid() else {}
    context = _merge_context(request, model, selection, error=error, sources=sources)
    return render_page(request, TEMPLATE, "merge-form", context)


def _merged(
    request: HtmxHttpRequest,
    model: type[models.Model],
    selection: tuple[int, list[int]],
    sources: dict[str, int],
) -> models.Model:
    master_id, other_ids = selection
    result = records_merge(
        model=model,
        master_id=master_id,
        other_ids=other_ids,
        field_sources=sources,
        acting_user=request.user,
    )
    noun = model._meta.verbose_name if len(other_ids) == 1 else model._meta.verbose_name_plural
    text = MERGED.format(count=len(other_ids), records=noun, master=result.master)
    messages.success(request, text)
    return result.master


@require_http_methods(["GET", "POST"])
def account_merge(request: HtmxHttpRequest) -> HttpResponse:
    return _merge(request, Account)


@require_http_methods(["GET", "POST"])
def contact_merge(request: HtmxHttpRequest) -> HttpResponse:
    return _merge(request, Contact)
