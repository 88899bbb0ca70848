from decimal import Decimal

import pytest
from django.template import Context, Template

from core.money import format_rupiah, round_rupiah, to_rupiah


def test_format_rupiah_uses_dots_for_thousands():
    assert format_rupiah(Decimal("1500000")) == "Rp 1.500.000"
    assert format_rupiah(0) == "Rp 0"
    assert format_rupiah(Decimal("-2500")) == "-Rp 2.500"


def test_to_rupiah_refuses_fractions():
    assert to_rupiah("1000") == Decimal(1000)
    with pytest.raises(ValueError):
        to_rupiah("1000.5")


def test_round_rupiah_rounds_half_up_to_unit():
    assert round_rupiah(Decimal("1249"), 500) == Decimal(1000)
    assert round_rupiah(Decimal("1250"), 500) == Decimal(1500)
    assert round_rupiah(Decimal("83333.5")) == Decimal(83334)


def test_rupiah_filter_renders_in_templates():
    rendered = Template("{% load portal %}{{ x|rupiah }}").render(Context({"x": Decimal("1250000")}))
    assert rendered == "Rp 1.250.000"


def test_parse_rupiah_reads_indonesian_writing_and_refuses_sen():
    from core.money import RupiahInputError, parse_rupiah

    assert parse_rupiah("1.500.000") == parse_rupiah("Rp 1.500.000") == parse_rupiah("1500000") == 1_500_000
    for text in ("150.000,50", "1,5", "15.00", "abc", "-5000"):
        with pytest.raises(RupiahInputError) as exc:
            parse_rupiah(text)
        assert exc.value.code == "format"
    with pytest.raises(RupiahInputError) as exc:
        parse_rupiah("9" * 16)
    assert exc.value.code == "too_large"


@pytest.mark.parametrize("text", ["²", "5²", "①", "١٢٣", "１２", "1.²00"])
def test_parse_rupiah_refuses_digits_that_are_not_0_to_9(text):
    """ "²" passed `str.isdigit()` and then broke `Decimal()` (a 500 on every money form)."""
    from core.money import RupiahInputError, parse_rupiah

    with pytest.raises(RupiahInputError) as exc:
        parse_rupiah(text)
    assert exc.value.code == "format"
