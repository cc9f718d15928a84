"""Sign in and sign out (Django's auth views), with failed sign-ins throttled."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse

from crm.http import HtmxHttpRequest
from crm.services.login_throttle import (
    LoginAttempt,
    LoginThrottledError,
    login_attempt_fail,
    login_attempt_release,
    login_attempt_start,
    login_attempt_succeed,
)


def client_address(request: HtmxHttpRequest) -> str:
    """The peer address the server saw. X-Forwarded-For is not read: any client can forge it.
    Behind a proxy, the proxy must hand the client address to the app server as REMOTE_ADDR
    (README, "Security")."""
    return request.META.get("REMOTE_ADDR", "")


class ThrottledLoginView(auth_views.LoginView):
    """Django's LoginView (login not required, CSRF protected, never cached) that refuses
    attempts with status 429 while the username or the client address is locked out."""

    request: HtmxHttpRequest
    attempt: LoginAttempt

    def post(self, request: HtmxHttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        username = request.POST.get("username", "")
        try:
            self.attempt = login_attempt_start(username=username, address=client_address(request))
        except LoginThrottledError as error:
            # An unbound form: rendering a bound one would validate it, which checks the password.
            form = self.get_form_class()(request=request, initial={"username": username})
            response = self.render_to_response(
                self.get_context_data(form=form, throttled_message=error.message), status=429
            )
            response["Retry-After"] = str(error.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        login_attempt_succeed(attempt=self.attempt)
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # Only attempts that reached the password check count; an empty field is not a guess.
        if form.cleaned_data.get("username") and form.cleaned_data.get("password"):
            login_attempt_fail(attempt=self.attempt)
        else:
            login_attempt_release(attempt=self.attempt)
        return super().form_invalid(form)


login_view = ThrottledLoginView.as_view()
logout_view = auth_views.LogoutView.as_view()
