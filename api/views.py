"""The API tokens page (top bar, "API tokens"): the user's tokens, a new one (shown once),
revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import ApiTokenForm
from api.services.tokens import ApiTokenError, api_token_create, api_token_revoke, api_tokens_of
from crm.http import HtmxHttpRequest

TEMPLATE = "api/tokens.html"
TOKEN_REVOKED = "Token “{name}” revoked: requests with it are refused from now on."


@require_http_methods(["GET", "POST"])
def api_tokens(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the list and the form; POST: create a token and show it, this once."""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    new_token = None
    if form.is_bound and form.is_valid():
        try:
            new_token = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ApiTokenError as error:
            form.add_error("name", error.message)
        else:
            form = ApiTokenForm()
    context = {
        "page_title": "API tokens",
        "form": form,
        "new_token": new_token,
        "tokens": api_tokens_of(user=request.user),
    }
    # The page that shows a token is never cached (a Back button must not show it again).
    response = render(request, TEMPLATE, context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def api_token_revoke_view(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(token_id=token_id, acting_user=request.user)
    except ApiTokenError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, TOKEN_REVOKED.format(name=token.name))
    return redirect("api-tokens:list")
