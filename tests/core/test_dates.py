"""core.dates / `quick_date` give the string Django's `date` filter gives."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as django_date
from django.utils import timezone, translation

from core.dates import date_format

FORMATS = ["j M Y H:i", "j M Y", "d-m-Y", "d/m/y G:i:s", "F Y", "b n", r"j \d\e M", "D, j M Y", "l", "N j"]
MOMENTS = [
    datetime.datetime(2026, m, d, h, mi, s, tzinfo=datetime.UTC)
    for m, d, h, mi, s in [
        (1, 1, 0, 0, 0),
        (2, 28, 23, 59, 59),
        (5, 9, 7, 5, 3),
        (12, 31, 16, 30, 0),
        (8, 17, 17, 0, 9),
    ]
]


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_date_format_is_djangos_date_filter(language, fmt):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo("Asia/Jakarta")):
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            assert date_format(local, fmt) == django_date(local, fmt), (moment, fmt)
            day = local.date()
            if not any(c in fmt for c in "HGis"):
                assert date_format(day, fmt) == django_date(day, fmt), (day, fmt)


def test_a_time_letter_on_a_date_fails_as_in_django():
    with pytest.raises(TypeError):
        date_format(datetime.date(2026, 1, 2), "j M Y H:i")


def test_quick_date_filter_renders_like_the_date_filter():
    template = Template(
        '{% load portal %}{{ v|quick_date:"j M Y H:i" }}|{{ v|date:"j M Y H:i" }}|{{ n|quick_date:"j M Y" }}|'
    )
    with translation.override("id"), timezone.override(zoneinfo.ZoneInfo("Asia/Makassar")):
        for moment in MOMENTS:
            ours, django, empty = template.render(Context({"v": moment, "n": None})).split("|")[:3]
            assert ours == django
            assert empty == ""
