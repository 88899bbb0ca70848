from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .forms import LoginForm
from .permissions import is_staff


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page; each role's home is filled in by its app."""
    if is_staff(request.user):
        # Staff land on the city dashboard (reports app).
        from reports.views import dashboard

        return dashboard(request)
    return render(request, "home.html")
