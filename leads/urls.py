from __future__ import annotations

from django.urls import path

from leads.views import bulk, commands, detail, duplicates, export, grid

app_name = "leads"
urlpatterns = [
    path("", grid.lead_list, name="lead-list"),
    path("new/", detail.lead_create, name="lead-create"),
    path("export/", export.lead_export, name="lead-export"),
    path("columns/", export.lead_columns, name="lead-columns"),
    path("bulk-disqualify/", bulk.lead_bulk_disqualify, name="lead-bulk-disqualify"),
    path("bulk-reactivate/", bulk.lead_bulk_reactivate, name="lead-bulk-reactivate"),
    path("bulk-delete/", bulk.lead_bulk_delete, name="lead-bulk-delete"),
    path("view-duplicates/", bulk.lead_bulk_duplicates, name="lead-bulk-duplicates"),
    path("lookup/<str:record_type>/", detail.lead_lookup, name="lead-lookup"),
    path("<int:pk>/", detail.lead_detail, name="lead-detail"),
    path("<int:pk>/qualify-stage/", detail.lead_stage_edit, name="lead-stage-edit"),
    path("<int:pk>/duplicates/", duplicates.lead_duplicates, name="lead-duplicates"),
    path("<int:pk>/notes/", detail.lead_note_add, name="lead-note-add"),
    path("<int:pk>/disqualify/", commands.lead_disqualify, name="lead-disqualify"),
    path("<int:pk>/reactivate/", commands.lead_reactivate, name="lead-reactivate"),
    path("<int:pk>/delete/", commands.lead_delete, name="lead-delete"),
]
