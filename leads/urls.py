from __future__ import annotations

from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="lead-list"),
    path("new/", views.lead_create, name="lead-create"),
    path("bulk-disqualify/", views.lead_bulk_disqualify, name="lead-bulk-disqualify"),
    path("bulk-reactivate/", views.lead_bulk_reactivate, name="lead-bulk-reactivate"),
    path("bulk-delete/", views.lead_bulk_delete, name="lead-bulk-delete"),
    path("lookup/<str:record_type>/", views.lead_lookup, name="lead-lookup"),
    path("<int:pk>/", views.lead_detail, name="lead-detail"),
    path("<int:pk>/qualify-stage/", views.lead_stage_edit, name="lead-stage-edit"),
    path("<int:pk>/notes/", views.lead_note_add, name="lead-note-add"),
    path("<int:pk>/disqualify/", views.lead_disqualify, name="lead-disqualify"),
    path("<int:pk>/reactivate/", views.lead_reactivate, name="lead-reactivate"),
    path("<int:pk>/delete/", views.lead_delete, name="lead-delete"),
]
