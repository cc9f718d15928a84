from __future__ import annotations

from django.urls import path

from qualification.views import bulk, qualify, undo

app_name = "qualification"
urlpatterns = [
    path("lead/<int:pk>/", qualify.lead_qualify, name="lead-qualify"),
    path(
        "lead/<int:pk>/opportunity-form/",
        qualify.qualify_opportunity_form,
        name="qualify-opportunity-form",
    ),
    path(
        "lead/<int:pk>/search/<str:record_type>/",
        qualify.qualify_record_search,
        name="qualify-record-search",
    ),
    path(
        "lead/<int:pk>/merge/<str:record_type>/",
        qualify.qualify_merge_preview,
        name="qualify-merge-preview",
    ),
    path(
        "lead/<int:pk>/qualified/<int:qualification_pk>/",
        qualify.lead_qualified,
        name="lead-qualified",
    ),
    path("lead/<int:pk>/undo/", undo.lead_undo, name="lead-undo"),
    path("<int:pk>/undo/", undo.qualification_undo, name="qualification-undo"),
    path("bulk/undo/", undo.bulk_undo, name="bulk-undo"),
    path("bulk/", bulk.bulk_qualify, name="bulk-qualify"),
    path("bulk/<int:job_pk>/", bulk.bulk_job_detail, name="bulk-job-detail"),
    path("bulk/<int:job_pk>/progress/", bulk.bulk_job_progress, name="bulk-job-progress"),
]
