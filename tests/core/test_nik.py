"""The one NIK module (core/nik.py): validation, normalisation, masking, and
that no other module keeps its own copy of the rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from core.nik import NIK_SQL_REGEX, NikField, clean_nik, is_valid_nik, mask_nik, normalize_nik

ROOT = Path(__file__).resolve().parents[2]
ARABIC_INDIC = "٣٢٧١٠١٠١٠١٠١٠٠٠١"  # 16 digits Python's \d and isdigit() accept, PostgreSQL's [0-9] does not


def test_clean_nik_accepts_sixteen_digits_typed_with_spaces():
    assert clean_nik(" 3271 0101 0101 0001 ") == "3271010101010001"
    assert normalize_nik(3271010101010001.0) == "3271010101010001"  # a spreadsheet number cell


@pytest.mark.parametrize("value", ["327101010101000", "32710101010100011", "3271O10101010001", ARABIC_INDIC, ""])
def test_clean_nik_refuses_what_is_not_sixteen_ascii_digits(value):
    assert ARABIC_INDIC.isdigit()  # why the module does not use isdigit()
    with pytest.raises(ValidationError) as exc:
        clean_nik(value)
    assert exc.value.code == "nik"
    assert not is_valid_nik(normalize_nik(value))


def test_clean_nik_allows_empty_when_optional():
    assert clean_nik("  ", required=False) == ""


def test_nik_sql_regex_is_the_python_rule():
    assert re.match(NIK_SQL_REGEX, "3271010101010001")
    assert not re.match(NIK_SQL_REGEX, ARABIC_INDIC)


def test_mask_nik_keeps_region_and_last_four():
    assert mask_nik("3271010101010001") == "3271" + "•" * 8 + "0001"
    assert mask_nik("") == "—"
    assert mask_nik(None) == "—"


def test_nik_field_gives_the_nik_message_for_a_long_number():
    field = NikField()
    assert field.clean("3271 0101 0101 0001") == "3271010101010001"
    with pytest.raises(ValidationError) as exc:
        field.clean("32710101010100011")
    assert exc.value.messages == ["NIK harus 16 digit angka."]


def test_forms_of_both_apps_use_the_nik_module():
    from bkm.forms import BoardMemberForm
    from upk.forms import MemberForm

    assert isinstance(MemberForm.base_fields["nik"], NikField)
    assert isinstance(BoardMemberForm.base_fields["nik"], NikField)
    member = MemberForm(data={"nik": "3271 0101 0101 0001", "name": "Siti", "gender": "P"})
    assert member.is_valid(), member.errors
    assert member.cleaned_data["nik"] == "3271010101010001"
    bad = MemberForm(data={"nik": ARABIC_INDIC, "name": "Siti", "gender": "P"})
    assert not bad.is_valid() and bad.errors["nik"] == ["NIK harus 16 digit angka."]


def test_models_validate_nik_with_the_nik_module():
    from bkm.models import BoardMember
    from core import nik
    from upk.models import KSMMember

    for model in (BoardMember, KSMMember):
        assert nik.nik_validator in model._meta.get_field("nik").validators


def test_nik_rule_is_written_only_in_core_nik():
    """No other module checks the NIK format itself (the 16-digit pattern,
    an isdigit()/length test or the message) — it calls core.nik."""
    offenders = []
    patterns = [re.compile(p) for p in (r"\{16\}", r"NIK harus 16 digit", r"nik.*isdigit\(\)", r"len\(nik\)")]
    for app in ("bkm", "core", "upk", "forum", "reports", "api"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path == ROOT / "core" / "nik.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if any(p.search(line) for p in patterns):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_ksm_member_add_refuses_a_nik_in_other_digits_with_the_message():
    """Before core/nik.py the service's isdigit() let such a NIK through to
    the database constraint (an IntegrityError, i.e. an error page)."""
    from tests.factories import BKMFactory, UserFactory
    from tests.upk.factories import KSMFactory
    from upk import services
    from upk.ledger.errors import LedgerError

    unit = BKMFactory().units.get(unit_type="upk")
    services.settings.upk_setup(upk=unit)
    manager = UserFactory(role="upk_manager")
    manager.upk_units.set([unit])
    ksm = KSMFactory(upk=unit)
    with pytest.raises(LedgerError) as exc:
        services.registry.ksm_member_add(ksm=ksm, nik=ARABIC_INDIC, name="Siti", gender="P", actor=manager)
    assert exc.value.messages == ["NIK harus 16 digit angka."]
    member = services.registry.ksm_member_add(
        ksm=ksm, nik="3271 0101 0101 0001", name="Siti", gender="P", actor=manager
    )
    assert member.nik == "3271010101010001"
