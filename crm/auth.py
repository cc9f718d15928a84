"""Sign in and sign out (Django's auth views)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

login_view = auth_views.LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()
