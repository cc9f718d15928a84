"""Possible duplicates of a lead: the side-by-side comparison of the lead and its open
duplicates (each with the reason it matched, the matching fields highlighted), which is also
the Merge leads form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from crm.errors import DomainError
from crm.http import HtmxHttpRequest, navigate, render_page
from leads import selectors, services
from leads.duplicates import selectors as duplicates
from leads.duplicates.comparison import compare_rows
from leads.duplicates.selectors import DuplicateMatch
from leads.forms import LeadMergeForm
from leads.models import Lead
from leads.services.merge import lead_merge_sources_default

TEMPLATE = "leads/lead_duplicates.html"
LEADS_MERGED = "Merged {count} {noun} into {master}."


def _context(
    request: HtmxHttpRequest, lead: Lead, matches: list[DuplicateMatch], form: LeadMergeForm
) -> dict[str, Any]:
    leads = [lead, *(match.lead for match in matches)]
    valid = form.is_bound and form.is_valid()
    master_id, other_ids = form.selection() if valid else (lead.pk, [m.lead.pk for m in matches])
    ids = {lead.pk for lead in leads}
    chosen = {k: v for k, v in form.field_sources().items() if v in ids} if valid else {}
    sources = lead_merge_sources_default(leads=leads, master_id=master_id) | chosen
    refusal = services.leads_merge_refusal(leads=leads, acting_user=request.user)
    return {
        "page_title": f"Possible duplicates of {lead.full_name or lead.topic}",
        "lead": lead,
        "form": form,
        "columns": [(lead, None), *((match.lead, match) for match in matches)],
        "rows": compare_rows(lead=lead, matches=matches, sources=sources),
        "master_id": master_id,
        "merged_ids": {master_id, *other_ids},
        "error": form.refusal() if form.is_bound and not valid else "",
        "refusal": refusal.message if refusal is not None else "",
    }


@require_http_methods(["GET", "POST"])
def lead_duplicates(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get_for_user(user=request.user, pk=pk)
    matches = duplicates.lead_duplicates(lead=lead)
    compared = [lead.pk, *(match.lead.pk for match in matches)]
    data = request.POST if request.method == "POST" else None
    form = LeadMergeForm(data, compared_ids=compared)
    if form.is_bound and form.is_valid():
        try:
            return _merged(request, form)
        except DomainError as refused:
            context = _context(request, lead, matches, form) | {"error": refused.message}
    else:
        context = _context(request, lead, matches, form)
    return render_page(request, TEMPLATE, "duplicates-form", context)


def _merged(request: HtmxHttpRequest, form: LeadMergeForm) -> HttpResponse:
    master_id, other_ids = form.selection()
    result = services.leads_merge(
        master_id=master_id,
        other_ids=other_ids,
        field_sources=form.field_sources(),
        outcome=form.cleaned_data["outcome"],
        acting_user=request.user,
    )
    noun = "lead" if len(other_ids) == 1 else "leads"
    text = LEADS_MERGED.format(count=len(other_ids), noun=noun, master=result.master)
    messages.success(request, text)
    return navigate(request, result.master.get_absolute_url())
