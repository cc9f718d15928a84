"""Sign in and sign out (Django's auth views), with failed sign-ins throttled at the one place
every sign-in goes through: the authentication backend.

The app's sign-in page, Django admin's (`/admin/login/`) and anything else that calls
`django.contrib.auth.authenticate()` share one throttle (crm.services.login_throttle): the
backend claims the attempt's place in the count before it checks the password, and refuses
a locked username or address without checking it. The refusal is an exception that the
middleware below turns into the 429 sign-in page, whichever page the attempt came from.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import HttpRequest, HttpResponse

from crm.services.login_throttle import (
    LoginThrottledError,
    login_attempt_fail,
    login_attempt_start,
    login_attempt_succeed,
)


def client_address(request: HttpRequest | None) -> str:
    """The peer address the server saw. X-Forwarded-For is not read: any client can forge it.
    Behind a proxy, the proxy must hand the client address to the app server as REMOTE_ADDR
    (README, "Security"). No request (a sign-in from code): no address."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend whose every password check takes its place in the failed sign-in
    count first; raises LoginThrottledError while the username or the address is locked. A
    user's permissions are read in one query (`get_all_permissions`)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        attempt = login_attempt_start(username=username, address=client_address(request))
        user = super().authenticate(request, username=username, password=password, **kwargs)
        # ModelBackend answers None for a wrong password, an unknown or an inactive user.
        if user is None:
            login_attempt_fail(attempt=attempt)
        else:
            login_attempt_succeed(attempt=attempt)
        return user

    def get_all_permissions(
        self, user_obj: AbstractBaseUser | AnonymousUser, obj: Any = None
    ) -> set[str]:
        """What ModelBackend answers (the user's own permissions and their groups'; all of
        them for a superuser; none for an inactive or anonymous user, nor per object), from
        one query instead of its two, remembered on the user object as Django does.

        The first permission check of every request asks for this (every page checks one).
        ModelBackend builds its two queries through the many-to-many relations, which costs
        1.6 to 2.5 ms of CPU a request (two machines), more than running them; this SQL
        costs 0.15 to 0.24 ms (bench/README, "Permissions")."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                rows = Permission.objects.values_list("content_type__app_label", "codename")
            else:
                with connection.cursor() as cursor:
                    cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                    rows = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


@cache
def _permissions_sql() -> str:
    """(app label, codename) of the permissions a user has directly or through a group; the
    user's id is both parameters. Table and column names come from the models."""
    quote = connection.ops.quote_name

    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    own, member, granted = (
        User.user_permissions.through,
        User.groups.through,
        Group.permissions.through,
    )
    permission_ids = (
        # Names from the models; the user's id is a parameter.
        f"SELECT {column(own, 'permission')} FROM {table(own)} "  # noqa: S608
        f"WHERE {column(own, 'user')} = %s "
        f"UNION SELECT g.{column(granted, 'permission')} FROM {table(granted)} g "
        f"JOIN {table(member)} m ON m.{column(member, 'group')} = g.{column(granted, 'group')} "
        f"WHERE m.{column(member, 'user')} = %s"
    )
    return (
        f"SELECT ct.{column(ContentType, 'app_label')}, p.{column(Permission, 'codename')} "  # noqa: S608
        f"FROM {table(Permission)} p JOIN {table(ContentType)} ct "
        f"ON ct.{column(ContentType, 'id')} = p.{column(Permission, 'content_type')} "
        f"WHERE p.{column(Permission, 'id')} IN ({permission_ids})"
    )


def login_throttled_page(request: HttpRequest, error: LoginThrottledError) -> HttpResponse:
    """The sign-in page with the refusal, status 429 and Retry-After. Its form is unbound:
    rendering a bound one would validate it, which checks the password."""
    view = auth_views.LoginView()
    view.setup(request)
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = view.get_context_data(form=form, throttled_message=error.message)
    response = view.render_to_response(context, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


class LoginThrottleMiddleware:
    """Answers a throttled sign-in with the 429 page, from any sign-in page."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, LoginThrottledError):
            return login_throttled_page(request, exception)
        return None


login_view = auth_views.LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()
