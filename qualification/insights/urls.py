from __future__ import annotations

from django.urls import path

from qualification.insights import views

app_name = "insights"
urlpatterns = [path("", views.insights, name="overview")]
