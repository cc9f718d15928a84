from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm import auth, views

record_patterns = [
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("opportunities/", views.opportunity_list, name="opportunity-list"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path(
        "opportunities/<int:pk>/stage/<str:stage>/",
        views.opportunity_stage_edit,
        name="opportunity-stage-edit",
    ),
    path(
        "opportunities/<int:pk>/next-stage/",
        views.opportunity_stage_next,
        name="opportunity-stage-next",
    ),
    path(
        "opportunities/<int:pk>/previous-stage/",
        views.opportunity_stage_previous,
        name="opportunity-stage-previous",
    ),
    path("opportunities/<int:pk>/notes/", views.opportunity_note_add, name="opportunity-note-add"),
    path(
        "timeline/<int:entry_pk>/attachment/",
        views.timeline_attachment,
        name="timeline-attachment",
    ),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="leads:lead-list"), name="home"),
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("", include((record_patterns, "crm"))),
    path("leads/", include("leads.urls")),
    path("qualify/", include("qualification.urls")),
    path("insights/", include("qualification.insights.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
