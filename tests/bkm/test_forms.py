from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bkm.forms import BoardMemberForm
from bkm.models import BoardMember
from core.fields import RupiahField


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1500000", Decimal(1_500_000)),
        ("1.500.000", Decimal(1_500_000)),
        ("Rp 1.500.000", Decimal(1_500_000)),
        ("rp1.500.000", Decimal(1_500_000)),
        (" 0 ", Decimal(0)),
        ("999", Decimal(999)),
    ],
)
def test_rupiahfield_accepts_indonesian_notation(text, amount):
    assert RupiahField().clean(text) == amount


@pytest.mark.parametrize("text", ["1.500.000,50", "1,5", "15.00", "-500", "satu juta", "1.50.000", "9" * 30])
def test_rupiahfield_refuses_fractions_and_garbage(text):
    with pytest.raises(ValidationError):
        RupiahField().clean(text)


def test_rupiahfield_shows_amount_with_thousand_dots():
    assert RupiahField().prepare_value(Decimal(125_500_000)) == "125.500.000"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("nik", "ok"),
    [
        ("", True),
        ("6271014503850002", True),
        ("6271 0145 0385 0002", True),
        ("627101450385000", False),
        ("62710145038500021", False),
        ("6271-0145-0385-0002", False),
    ],
)
def test_boardmemberform_nik_rule(bkm, nik, ok):
    form = BoardMemberForm(
        {
            "name": "Uji",
            "nik": nik,
            "gender": "L",
            "position": "anggota",
            "term_start": "2025-01-01",
            "term_end": "2028-01-01",
            "is_active": "on",
        },
        instance=BoardMember(bkm=bkm),
        bkm=bkm,
    )
    assert form.is_valid() is ok
    if not ok:
        assert form.errors["nik"] == ["NIK harus 16 digit angka."]
