from __future__ import annotations

from django.urls import path

from api import views

app_name = "api-tokens"
urlpatterns = [
    path("", views.api_tokens, name="list"),
    path("<int:token_id>/revoke/", views.api_token_revoke_view, name="revoke"),
]
