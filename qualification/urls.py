from __future__ import annotations

from django.urls import path

from qualification import bulk_views, views

app_name = "qualification"
urlpatterns = [
    path("lead/<int:pk>/", views.lead_qualify, name="lead-qualify"),
    path(
        "lead/<int:pk>/opportunity-form/",
        views.qualify_opportunity_form,
        name="qualify-opportunity-form",
    ),
    path(
        "lead/<int:pk>/search/<str:record_type>/",
        views.qualify_record_search,
        name="qualify-record-search",
    ),
    path(
        "lead/<int:pk>/qualified/<int:qualification_pk>/",
        views.lead_qualified,
        name="lead-qualified",
    ),
    path("bulk/", bulk_views.bulk_qualify, name="bulk-qualify"),
    path("bulk/<int:job_pk>/", bulk_views.bulk_job_detail, name="bulk-job-detail"),
    path("bulk/<int:job_pk>/progress/", bulk_views.bulk_job_progress, name="bulk-job-progress"),
]
