from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def _get(path, params):
    request = RequestFactory().get(path, params)
    request.user = AnonymousUser()
    return request


def test_pagination_links_carry_one_question_mark():
    """`{% querystring %}` writes the "?" itself: the links were "??page=2"."""
    request = _get("/upk/1/pinjaman/", {"status": "macet", "page": "2"})
    page = Paginator(list(range(60)), 20).page(2)
    html = render_to_string("includes/pagination.html", {"page_obj": page}, request=request)
    assert 'href="?status=macet&amp;page=1"' in html
    assert 'href="?status=macet&amp;page=3"' in html
    assert "??" not in html


@pytest.mark.parametrize(("template", "param"), [("upk/_asof.html", "as_of"), ("upk/_range.html", "dari")])
def test_export_buttons_carry_one_question_mark(template, param):
    """The UPK books' CSV/XLSX buttons were "??format=csv" and reloaded the HTML page."""
    request = _get("/upk/1/neraca/", {param: "2026-01-31"})
    html = render_to_string(template, {"export": True}, request=request)
    assert f'href="?{param}=2026-01-31&amp;format=csv"' in html
    assert f'href="?{param}=2026-01-31&amp;format=xlsx"' in html


def test_no_template_writes_a_question_mark_before_querystring():
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if "?{% querystring" in path.read_text()
    ]
    assert offenders == []
