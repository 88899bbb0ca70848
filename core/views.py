from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import landing, throttle
from .forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Per-IP throttle beside axes' per-(username, IP) lockout; same page, same words.
        if throttle.login_ip_blocked(request):
            return render(request, "registration/lockout.html", status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form: Any) -> HttpResponse:
        if not throttle.password_reset_allowed(request=self.request, email=form.cleaned_data["email"]):
            form.add_error(None, _("Terlalu banyak permintaan atur ulang kata sandi. Coba lagi dalam satu jam."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: a registered page for the user (staff: the city dashboard; a visitor who
    is not signed in: the public overview), else the panels the apps register (`core.landing`)."""
    page = landing.page_for(request.user)
    if page is not None:
        return page.view(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "home.html", {"panels": landing.panels_for(request.user)})
