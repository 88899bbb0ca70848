"""manage.py media_orphans: uploaded files no row refers to."""

from __future__ import annotations

import os
import time
from io import StringIO

from django.core.files.base import ContentFile
from django.core.management import call_command

from tests.upk.factories import make_ksm
from upk import services


def _age(path, hours: int) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_media_orphans_deletes_only_old_unreferenced_files(db, settings, tmp_path):
    from tests.factories import BKMFactory, UserFactory

    settings.MEDIA_ROOT = str(tmp_path)
    upk = BKMFactory().units.get(unit_type="upk")
    services.settings.upk_setup(upk=upk)
    manager = UserFactory(role="upk_manager")
    manager.upk_units.set([upk])
    ksm = make_ksm(upk, actor=manager)
    ksm.joint_liability_doc.save("pernyataan.pdf", ContentFile(b"%PDF-1.4 kept"))
    kept = tmp_path / ksm.joint_liability_doc.name
    old_orphan = tmp_path / "upk" / "ksm" / "rolled-back.pdf"
    young_orphan = tmp_path / "upk" / "ksm" / "in-flight.pdf"
    old_orphan.write_bytes(b"%PDF-1.4 orphan")
    young_orphan.write_bytes(b"%PDF-1.4 young")
    _age(kept, 48)
    _age(old_orphan, 48)

    out = StringIO()
    call_command("media_orphans", stdout=out)
    assert str(old_orphan) in out.getvalue() and old_orphan.exists()  # listing deletes nothing

    call_command("media_orphans", "--delete", stdout=StringIO())
    assert kept.exists()
    assert young_orphan.exists()
    assert not old_orphan.exists()
