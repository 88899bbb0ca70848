"""core.links: a row's URL from a name reversed once is the URL `reverse` gives."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse

from core import links


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("upk:loan_card", (7,)),
        ("upk:receipt_page", (1234567,)),
        ("upk:reverse", (98765,)),
        ("upk:home", (1,)),
    ],
)
def test_id_url_is_the_reversed_url(name, ids):
    assert links.id_url(name, *ids) == reverse(name, args=list(ids))


def test_id_url_leaves_other_arguments_to_reverse():
    assert links.id_url("upk:home", "12") == reverse("upk:home", args=["12"])
    assert links.id_url("upk:home", 0) == reverse("upk:home", args=[0])
    with pytest.raises(NoReverseMatch):
        links.id_url("upk:no_such_page", 3)


def test_id_url_tag_renders_like_the_url_tag():
    # 12345 would be "12.345" if the id went through localisation (USE_THOUSAND_SEPARATOR).
    html = (
        engines["django"]
        .from_string("{% load portal %}{% id_url 'upk:loan_card' pk %}|{% url 'upk:loan_card' pk %}")
        .render({"pk": 12345})
    )
    first, second = html.split("|")
    assert first == second == "/upk/pinjaman/12345/"


def test_id_url_follows_the_script_prefix():
    from django.urls import set_script_prefix

    try:
        set_script_prefix("/portal/")
        assert links.id_url("upk:loan_card", 5) == reverse("upk:loan_card", args=[5]) == "/portal/upk/pinjaman/5/"
    finally:
        set_script_prefix("/")
