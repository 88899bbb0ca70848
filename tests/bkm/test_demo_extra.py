import random
from io import StringIO

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from bkm import selectors
from bkm.demo_extra import minimal_pdf
from bkm.models import (
    BKM,
    OPD,
    AuditRecord,
    BoardMember,
    DocumentVersion,
    Handover,
    Proposal,
    ProposalStatus,
    SlumArea,
    UnitPerson,
)
from core.models import User


def test_minimal_pdf_is_a_valid_pdf():
    import io

    reader = PdfReader(io.BytesIO(minimal_pdf("Berita Acara", ["BKM Maju Bersama", "Tahun 2024"])))
    assert len(reader.pages) == 1
    assert "Berita Acara" in reader.pages[0].extract_text()


@pytest.mark.django_db
def test_seed_demo_fills_the_registry_for_every_bkm():
    call_command("seed_demo", "--seed", "11", "--scale", "city", stdout=StringIO())
    bkms = list(BKM.objects.all())
    assert len(bkms) == 30
    for bkm in bkms:
        active = BoardMember.objects.filter(bkm=bkm, is_active=True)
        assert active.filter(position="koordinator").count() == 1
        assert UnitPerson.objects.filter(unit__bkm=bkm, unit__unit_type="upk", position="manajer").exists()
    sizes = [BoardMember.objects.filter(bkm=b, is_active=True).count() for b in bkms]
    assert sum(9 <= s <= 13 for s in sizes) >= 20
    warnings = {
        w.code
        for b in selectors.bkm_list_with_warnings(user=User.objects.get(username="staf"))
        for w in selectors.bkm_warnings(b)
    }
    assert {"term_expired", "term_ending"} <= warnings
    assert Proposal.objects.count() >= 40
    assert set(Proposal.objects.values_list("status", flat=True)) == set(ProposalStatus.values)
    assert (
        OPD.objects.filter(acronym__in=["Disperkimtan", "Dinas PUPR", "DLH", "Bappedalitbang", "Dinas Sosial"]).count()
        == 5
    )
    assert SlumArea.objects.filter(sk_number__contains="188").count() >= 8
    assert all(a.measures.count() == 3 for a in SlumArea.objects.all())
    assert Handover.objects.count() >= 10
    assert AuditRecord.objects.exists()
    version = DocumentVersion.objects.first()
    with version.file.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"


@pytest.mark.django_db
def test_seed_is_deterministic_for_the_same_rng():
    from bkm import demo, demo_extra

    def snapshot():
        demo.seed(rng=random.Random(3), scale="small")
        demo_extra.seed(rng=random.Random(4), scale="small")
        return (
            sorted(
                BoardMember.objects.order_by("bkm__kelurahan__code", "name", "term_end").values_list(
                    "bkm__kelurahan__code", "name", "nik", "gender", "term_end"
                )
            ),
            sorted(
                Proposal.objects.order_by("bkm__kelurahan__code", "title", "year").values_list(
                    "bkm__kelurahan__code", "title", "status", "budget_proposed"
                )
            ),
        )

    first = snapshot()
    BKM.objects.all().delete()
    second = snapshot()
    assert first == second
