from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm import auth
from crm.views import accounts, contacts, grids, notes, opportunities, process, site

record_patterns = [
    path("accounts/", grids.account_list, name="account-list"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account-detail"),
    path("contacts/", grids.contact_list, name="contact-list"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact-detail"),
    path("opportunities/", grids.opportunity_list, name="opportunity-list"),
    path("opportunities/<int:pk>/", opportunities.opportunity_detail, name="opportunity-detail"),
    path(
        "opportunities/<int:pk>/stage/<str:stage>/",
        process.opportunity_stage_edit,
        name="opportunity-stage-edit",
    ),
    path(
        "opportunities/<int:pk>/next-stage/",
        process.opportunity_stage_next,
        name="opportunity-stage-next",
    ),
    path(
        "opportunities/<int:pk>/previous-stage/",
        process.opportunity_stage_previous,
        name="opportunity-stage-previous",
    ),
    path("opportunities/<int:pk>/notes/", notes.opportunity_note_add, name="opportunity-note-add"),
    path(
        "timeline/<int:entry_pk>/attachment/",
        notes.timeline_attachment,
        name="timeline-attachment",
    ),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="leads:lead-list"), name="home"),
    path("favicon.ico", site.favicon),
    path("admin/", admin.site.urls),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("", include((record_patterns, "crm"))),
    path("leads/", include("leads.urls")),
    path("qualify/", include("qualification.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
