from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.main import api_urls
from crm import auth
from crm.views import (
    accounts,
    attachments,
    contacts,
    grids,
    merge,
    opportunities,
    process,
    site,
)

account_patterns = [
    path("accounts/", grids.account_list, name="account-list"),
    path("accounts/new/", accounts.account_create, name="account-create"),
    # The merge start URL: /accounts/merge/?ids=3&ids=7 opens the side-by-side page.
    path("accounts/merge/", merge.account_merge, name="account-merge"),
    path("accounts/options/", contacts.account_options, name="account-options"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account-detail"),
    path("accounts/<int:pk>/edit/", accounts.account_edit, name="account-edit"),
    path("accounts/<int:pk>/delete/", accounts.account_delete, name="account-delete"),
    path("accounts/<int:pk>/notes/", accounts.account_note_add, name="account-note-add"),
]
contact_patterns = [
    path("contacts/", grids.contact_list, name="contact-list"),
    path("contacts/new/", contacts.contact_create, name="contact-create"),
    path("contacts/merge/", merge.contact_merge, name="contact-merge"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact-delete"),
    path("contacts/<int:pk>/notes/", contacts.contact_note_add, name="contact-note-add"),
]
opportunity_patterns = [
    path("opportunities/", grids.opportunity_list, name="opportunity-list"),
    path("opportunities/<int:pk>/", opportunities.opportunity_detail, name="opportunity-detail"),
    path("opportunities/<int:pk>/edit/", opportunities.opportunity_edit, name="opportunity-edit"),
    path(
        "opportunities/<int:pk>/close/<str:state>/",
        opportunities.opportunity_close,
        name="opportunity-close",
    ),
    path(
        "opportunities/<int:pk>/reopen/",
        opportunities.opportunity_reopen,
        name="opportunity-reopen",
    ),
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
    path(
        "opportunities/<int:pk>/notes/",
        opportunities.opportunity_note_add,
        name="opportunity-note-add",
    ),
]
record_patterns = [
    *account_patterns,
    *contact_patterns,
    *opportunity_patterns,
    path(
        "timeline/<int:entry_pk>/attachment/",
        attachments.timeline_attachment,
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
    path("insights/", include("qualification.insights.urls")),
    path("api/v1/", api_urls()),
    path("account/api-tokens/", include("api.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
