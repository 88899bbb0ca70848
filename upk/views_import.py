from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def template_download(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def import_start(request: HttpRequest, upk_id: int) -> HttpResponse:
    raise NotImplementedError


def import_status(request: HttpRequest, job_id: int) -> HttpResponse:
    raise NotImplementedError
