"""Reads for customer records, their grids, the process bar and the timeline; one module per
job. The names other apps use are here."""

from __future__ import annotations

from crm.selectors.grids import (
    ACCOUNT_SORTS,
    CONTACT_SORTS,
    DEFAULT_ACCOUNT_SORT,
    DEFAULT_CONTACT_SORT,
    DEFAULT_OPPORTUNITY_SORT,
    DEFAULT_OPPORTUNITY_VIEW,
    OPPORTUNITY_SORTS,
    OpportunityView,
    account_list,
    contact_list,
    opportunity_list,
    opportunity_view_or_default,
    sort_key,
)
from crm.selectors.permissions import MANAGE_ALL_PERMISSION, owner_or_manager, owners_or_manager
from crm.selectors.process import StageCell, opportunity_stages
from crm.selectors.records import (
    account_contacts,
    account_get,
    account_opportunities,
    account_options,
    contact_get,
    contact_opportunities,
    opportunity_get,
    originating_lead,
    record_leads,
)
from crm.selectors.timeline import timeline_entry_get, timeline_for

__all__ = [
    "ACCOUNT_SORTS",
    "CONTACT_SORTS",
    "DEFAULT_ACCOUNT_SORT",
    "DEFAULT_CONTACT_SORT",
    "DEFAULT_OPPORTUNITY_SORT",
    "DEFAULT_OPPORTUNITY_VIEW",
    "MANAGE_ALL_PERMISSION",
    "OPPORTUNITY_SORTS",
    "OpportunityView",
    "StageCell",
    "account_contacts",
    "account_get",
    "account_list",
    "account_opportunities",
    "account_options",
    "contact_get",
    "contact_list",
    "contact_opportunities",
    "opportunity_get",
    "opportunity_list",
    "opportunity_stages",
    "opportunity_view_or_default",
    "originating_lead",
    "owner_or_manager",
    "owners_or_manager",
    "record_leads",
    "sort_key",
    "timeline_entry_get",
    "timeline_for",
]
