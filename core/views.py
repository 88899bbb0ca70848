from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import landing
from .forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: a registered page for the user (staff: the city
    dashboard), else the panels the apps register for them (`core.landing`)."""
    page = landing.page_for(request.user)
    if page is not None:
        return page.view(request)
    return render(request, "home.html", {"panels": landing.panels_for(request.user)})
