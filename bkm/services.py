"""Writes of the BKM/LKM registry: one atomic action per user intent.

Callers (views, the admin, demo data, other apps) pass plain values; each
service validates the model (`full_clean`) before saving so that bad input
raises a `ValidationError` with an Indonesian message and changes nothing.
History rows (django-simple-history) are written by the models themselves; the
acting user comes from the request middleware, or from `actor` where given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.outbox import outbox_add
from core.storage import file_writes

from . import geo
from . import permissions as perms
from .models import (
    BKM,
    OPD,
    SLUM_ASPECTS,
    Assessment,
    AssessmentAspect,
    AssessmentScore,
    AuditRecord,
    BankAccount,
    BoardMember,
    Document,
    DocumentType,
    DocumentVersion,
    Election,
    GeometrySource,
    Handover,
    Kelurahan,
    LPJReport,
    Notice,
    Proposal,
    ProposalAttachment,
    ProposalEvent,
    ProposalStatus,
    RPLPItem,
    SlumArea,
    SlumMeasure,
    SlumMeasureUpdate,
    SubmissionKind,
    SubmissionStatus,
    Unit,
    UnitPerson,
    UnitType,
)


def _apply_and_save(instance: Model, data: Mapping[str, Any]) -> Any:
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


# --- BKM --------------------------------------------------------------------------

BKM_PROFILE_FIELDS = (
    "name",
    "kelurahan",
    "status",
    "date_formed",
    "akta_number",
    "akta_date",
    "notary",
    "ahu_number",
    "ahu_date",
    "adart_version",
)
BKM_CONTACT_FIELDS = ("address", "phone", "email")


def _pick(data: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: data[k] for k in fields if k in data}


@transaction.atomic
def bkm_create(*, data: Mapping[str, Any]) -> BKM:
    """A new BKM with its five standard units (the UPK ledger attaches to the UPK)."""
    bkm = _apply_and_save(BKM(), _pick(data, BKM_PROFILE_FIELDS + BKM_CONTACT_FIELDS))
    for unit_type in UnitType:
        Unit.objects.create(bkm=bkm, unit_type=unit_type, name=f"{unit_type.label.split(' ')[0]} {bkm.kelurahan.name}")
    return bkm


@transaction.atomic
def bkm_update_profile(*, bkm: BKM, data: Mapping[str, Any]) -> BKM:
    return _apply_and_save(bkm, _pick(data, BKM_PROFILE_FIELDS))


@transaction.atomic
def bkm_update_contacts(*, bkm: BKM, data: Mapping[str, Any]) -> BKM:
    """Only the sekretariat contacts: what a coordinator may change."""
    return _apply_and_save(bkm, _pick(data, BKM_CONTACT_FIELDS))


# --- Board, elections, units --------------------------------------------------------


@transaction.atomic
def board_member_save(*, bkm: BKM, member: BoardMember | None = None, data: Mapping[str, Any]) -> BoardMember:
    member = member or BoardMember(bkm=bkm)
    if member.bkm_id != bkm.pk:
        raise ValidationError(_("Anggota itu bukan pengurus BKM ini."))
    return _apply_and_save(member, data)


@transaction.atomic
def election_save(*, bkm: BKM, election: Election | None = None, data: Mapping[str, Any]) -> Election:
    election = election or Election(bkm=bkm)
    if election.bkm_id != bkm.pk:
        raise ValidationError(_("Pemilihan itu milik BKM lain."))
    return _apply_and_save(election, data)


@transaction.atomic
def unit_save(*, bkm: BKM, unit: Unit | None = None, data: Mapping[str, Any]) -> Unit:
    unit = unit or Unit(bkm=bkm)
    if unit.bkm_id != bkm.pk:
        raise ValidationError(_("Unit itu milik BKM lain."))
    return _apply_and_save(unit, data)


@transaction.atomic
def unit_person_save(*, bkm: BKM, person: UnitPerson | None = None, data: Mapping[str, Any]) -> UnitPerson:
    person = person or UnitPerson()
    unit = data.get("unit") or person.unit
    if unit is None or unit.bkm_id != bkm.pk:
        raise ValidationError({"unit": _("Pilih unit milik BKM ini.")})
    return _apply_and_save(person, data)


@transaction.atomic
def bank_account_save(*, bkm: BKM, account: BankAccount | None = None, data: Mapping[str, Any]) -> BankAccount:
    account = account or BankAccount(bkm=bkm)
    if account.bkm_id != bkm.pk:
        raise ValidationError(_("Rekening itu milik BKM lain."))
    return _apply_and_save(account, data)


@transaction.atomic
def handover_save(*, bkm: BKM, data: Mapping[str, Any]) -> Handover:
    handover = Handover.objects.filter(bkm=bkm).first() or Handover(bkm=bkm)
    document = data.get("berita_acara")
    if document is not None and document.bkm_id != bkm.pk:
        raise ValidationError({"berita_acara": _("Dokumen berita acara harus milik BKM ini.")})
    return _apply_and_save(handover, data)


# --- Documents -------------------------------------------------------------------------

# Accepted content, by what the bytes are (filetype), not by the name. The
# extension the user gave must agree with the content, so a renamed EXE or an
# HTML page saved as .pdf is refused.
ALLOWED_DOCUMENT_KINDS: dict[str, set[str]] = {
    "pdf": {"pdf"},
    "jpg": {"jpg", "jpeg"},
    "png": {"png"},
    "webp": {"webp"},
    "doc": {"doc"},
    "xls": {"xls"},
    "ppt": {"ppt"},
    "docx": {"docx"},
    "xlsx": {"xlsx"},
    "pptx": {"pptx"},
    "odt": {"odt"},
    "ods": {"ods"},
    "odp": {"odp"},
}
ALLOWED_EXTENSIONS_TEXT = "PDF, JPG, PNG, WEBP, DOC/DOCX, XLS/XLSX, PPT/PPTX, ODT/ODS/ODP"


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str
    size: int
    sha256: str


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{(Decimal(n) / (1024 * 1024)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} MB"
    return f"{(Decimal(n) / 1024).quantize(Decimal(1), rounding=ROUND_HALF_UP)} KB"


def document_check_file(*, upload: UploadedFile) -> CheckedFile:
    """Size and content check of an upload; raises ValidationError in Indonesian."""
    limit = settings.DOCUMENT_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("Berkas kosong."), code="empty")
    if size > limit:
        raise ValidationError(
            _("Berkas terlalu besar (%(size)s). Ukuran maksimal %(limit)s.")
            % {"size": _human_size(size), "limit": _human_size(limit)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    name = upload.name or ""
    given_ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind is None or kind.extension not in ALLOWED_DOCUMENT_KINDS:
        raise ValidationError(
            _("Isi berkas bukan dokumen yang diizinkan. Jenis yang diterima: %(kinds)s.")
            % {"kinds": ALLOWED_EXTENSIONS_TEXT},
            code="bad_content",
        )
    if given_ext not in ALLOWED_DOCUMENT_KINDS[kind.extension]:
        raise ValidationError(
            _("Isi berkas (%(kind)s) tidak sesuai dengan nama berkasnya (.%(ext)s).")
            % {"kind": kind.extension.upper(), "ext": given_ext or "?"},
            code="mismatch",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(extension=kind.extension, content_type=kind.mime, size=size, sha256=digest.hexdigest())


def _add_version(*, document: Document, upload: UploadedFile, note: str, actor: Any) -> DocumentVersion:
    checked = document_check_file(upload=upload)
    # Lock the document row so two uploads at once cannot take the same number.
    Document.objects.select_for_update().get(pk=document.pk)
    number = (document.versions.aggregate(m=Max("version"))["m"] or 0) + 1
    version = DocumentVersion(
        document=document,
        version=number,
        original_name=(upload.name or "berkas")[:255],
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        note=note,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    version.file.save(f"v{number}.{checked.extension}", upload, save=False)
    try:
        version.save()
    except Exception:
        version.file.delete(save=False)
        raise
    # Should the surrounding transaction roll back later, the stored file stays
    # behind unreferenced; it is never served, since downloads go through rows,
    # and `manage.py media_orphans --delete` removes it (core/media.py).
    return version


@file_writes()
@transaction.atomic
def document_create(
    *, bkm: BKM, doc_type: str, title: str, description: str = "", upload: UploadedFile, note: str = "", actor: Any
) -> Document:
    document_check_file(upload=upload)  # refuse before creating anything
    document = Document(bkm=bkm, doc_type=doc_type, title=title, description=description)
    document.full_clean()
    document.save()
    _add_version(document=document, upload=upload, note=note, actor=actor)
    return document


@file_writes()
@transaction.atomic
def document_add_version(*, document: Document, upload: UploadedFile, note: str = "", actor: Any) -> DocumentVersion:
    return _add_version(document=document, upload=upload, note=note, actor=actor)


# --- Slum areas and OPDs ------------------------------------------------------------------


@transaction.atomic
def slum_area_save(*, area: SlumArea | None = None, data: Mapping[str, Any]) -> SlumArea:
    return _apply_and_save(area or SlumArea(), data)


@transaction.atomic
def slum_measure_save(*, area: SlumArea, measure: SlumMeasure | None = None, data: Mapping[str, Any]) -> SlumMeasure:
    measure = measure or SlumMeasure(slum_area=area)
    if measure.slum_area_id != area.pk:
        raise ValidationError(_("Pengukuran itu milik kawasan lain."))
    return _apply_and_save(measure, data)


# --- Geometry (kelurahan boundaries, slum-area delineations) and published documents -------------------


@transaction.atomic
def kelurahan_set_boundary(
    *, kelurahan: Kelurahan, geojson: bytes | str | None, source: str = GeometrySource.UPLOAD
) -> Kelurahan:
    """Store (or, with None, remove) a kelurahan's boundary; `geo.GeometryError` leaves it unchanged."""
    kelurahan.boundary = geo.parse_geojson(geojson) if geojson is not None else None
    kelurahan.boundary_source = source if geojson is not None else ""
    kelurahan.save(update_fields=["boundary", "boundary_source"])
    return kelurahan


@transaction.atomic
def slum_area_set_geometry(
    *, area: SlumArea, geojson: bytes | str | None, source: str = GeometrySource.UPLOAD
) -> SlumArea:
    """Store (or remove) a slum area's delineation; kept in its history like every other change."""
    area.geometry = geo.parse_geojson(geojson) if geojson is not None else None
    area.geometry_source = source if geojson is not None else ""
    area.save(update_fields=["geometry", "geometry_source"])
    return area


@transaction.atomic
def document_set_published(*, document: Document, published: bool) -> Document:
    """Publish a document on the public BKM page (or withdraw it); the history row records who did it."""
    document.published = published
    document.save(update_fields=["published"])
    return document


@transaction.atomic
def opd_save(*, opd: OPD | None = None, data: Mapping[str, Any]) -> OPD:
    return _apply_and_save(opd or OPD(), data)


# --- RPLP plan ----------------------------------------------------------------------------------

RPLP_ITEM_FIELDS = ("aspect", "year", "title", "slum_area", "volume", "budget", "funding_source", "notes")


@transaction.atomic
def rplp_item_save(*, bkm: BKM, item: RPLPItem | None = None, data: Mapping[str, Any]) -> RPLPItem:
    """Add or change one activity of a BKM's RPLP (its status follows its proposals, never set here)."""
    item = item or RPLPItem(bkm=bkm)
    if item.bkm_id != bkm.pk:
        raise ValidationError(_("Kegiatan RPLP itu milik BKM lain."))
    return _apply_and_save(item, _pick(data, RPLP_ITEM_FIELDS))


@transaction.atomic
def rplp_item_delete(*, bkm: BKM, item: RPLPItem) -> None:
    """Remove an RPLP activity entered by mistake; one that a proposal already carries out stays."""
    item = RPLPItem.objects.select_for_update().get(pk=item.pk)
    if item.bkm_id != bkm.pk:
        raise ValidationError(_("Kegiatan RPLP itu milik BKM lain."))
    if item.proposals.exists():
        raise ValidationError(_("Kegiatan RPLP ini sudah dirujuk usulan kegiatan; ubah isinya, jangan dihapus."))
    item.delete()


# --- Collaboration proposals ------------------------------------------------------------------

# The explicit transition table of a proposal (issue 2):
# diusulkan → dibahas → disetujui / ditolak; disetujui → dilaksanakan → selesai.
# Issue 15 puts the BKM's own steps in front: a coordinator's draf → diajukan
# (submitted for verification); the secretariat accepts it into the pipeline
# (→ diusulkan) or returns it (→ dikembalikan), and the BKM resubmits.
PROPOSAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ProposalStatus.DRAF: frozenset({ProposalStatus.DIAJUKAN}),
    ProposalStatus.DIAJUKAN: frozenset({ProposalStatus.DIUSULKAN, ProposalStatus.DIKEMBALIKAN}),
    ProposalStatus.DIKEMBALIKAN: frozenset({ProposalStatus.DIAJUKAN}),
    ProposalStatus.DIUSULKAN: frozenset({ProposalStatus.DIBAHAS}),
    ProposalStatus.DIBAHAS: frozenset({ProposalStatus.DISETUJUI, ProposalStatus.DITOLAK}),
    ProposalStatus.DISETUJUI: frozenset({ProposalStatus.DILAKSANAKAN}),
    ProposalStatus.DITOLAK: frozenset(),
    ProposalStatus.DILAKSANAKAN: frozenset({ProposalStatus.SELESAI}),
    ProposalStatus.SELESAI: frozenset(),
}


def proposal_allowed_transitions(status: str) -> list[str]:
    order = list(ProposalStatus.values)
    return sorted(PROPOSAL_TRANSITIONS.get(status, frozenset()), key=order.index)


# What a proposer may set, in form order (bkm.forms.ProposalForm shows these).
PROPOSAL_EDIT_FIELDS = (
    "title",
    "opd",
    "programme",
    "kelurahan",
    "slum_area",
    "year",
    "budget_proposed",
    "funding_source",
    "rplp_item",
    "location",
    "aspect",
    "description",
)


@transaction.atomic
def proposal_create(
    *, bkm: BKM, data: Mapping[str, Any], actor: Any, note: str = "", at: Any = None, draft: bool = False
) -> Proposal:
    """Record a proposal. `at` (default now) dates a proposal received earlier, e.g. entered from paper:
    its first event and its change history both carry it, so "in this status since" reads it.

    `draft`: the BKM's own draft (its coordinator submits it for verification later);
    otherwise the secretariat records it straight into the pipeline (diusulkan)."""
    proposal = Proposal(bkm=bkm, status=ProposalStatus.DRAF if draft else ProposalStatus.DIUSULKAN)
    if draft and not note:
        note = _("Draf usulan dibuat BKM.")
    if at is not None:
        proposal._history_date = at  # type: ignore[attr-defined]  # django-simple-history's record date
    _apply_and_save(proposal, _pick(data, PROPOSAL_EDIT_FIELDS))
    ProposalEvent.objects.create(
        proposal=proposal,
        from_status="",
        to_status=proposal.status,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note or _("Usulan dicatat."),
        at=at or timezone.now(),
    )
    return proposal


@transaction.atomic
def proposal_update(*, proposal: Proposal, data: Mapping[str, Any]) -> Proposal:
    """Edit the content of a proposal; its status only moves by `proposal_transition`."""
    return _apply_and_save(proposal, _pick(data, PROPOSAL_EDIT_FIELDS))


@transaction.atomic
def proposal_transition(
    *,
    proposal_id: int,
    to_status: str,
    actor: Any,
    note: str = "",
    budget_approved: Decimal | None = None,
    at: Any = None,
) -> Proposal:
    """Move a proposal one step through the transition table and record the step.

    An illegal step raises ValidationError with an Indonesian message; nothing
    is saved because the whole action is one transaction.
    """
    # Lock the proposal row: two staff moving the same proposal at once must
    # not both pass the table check against the same old status.
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if to_status not in ProposalStatus.values:
        raise ValidationError({"to_status": _("Status tujuan tidak dikenal.")})
    current = proposal.status
    if to_status not in PROPOSAL_TRANSITIONS[current]:
        allowed = proposal_allowed_transitions(current)
        allowed_text = ", ".join(str(ProposalStatus(s).label) for s in allowed) or _("tidak ada (status akhir)")
        raise ValidationError(
            {
                "to_status": _(
                    "Status usulan tidak dapat diubah dari «%(from)s» ke «%(to)s». Langkah yang diizinkan: %(allowed)s."
                )
                % {
                    "from": ProposalStatus(current).label,
                    "to": ProposalStatus(to_status).label,
                    "allowed": allowed_text,
                }
            },
            code="illegal_transition",
        )
    if to_status == ProposalStatus.DISETUJUI:
        if budget_approved is None and proposal.budget_approved is None:
            raise ValidationError({"budget_approved": _("Isi anggaran yang disetujui untuk menyetujui usulan.")})
        if budget_approved is not None:
            if budget_approved < 0 or budget_approved != budget_approved.to_integral_value():
                raise ValidationError({"budget_approved": _("Anggaran harus bilangan Rupiah bulat, tidak negatif.")})
            proposal.budget_approved = budget_approved
    if to_status == ProposalStatus.DITOLAK and not note.strip():
        raise ValidationError({"note": _("Tuliskan alasan penolakan pada catatan.")})
    if to_status == ProposalStatus.DIKEMBALIKAN and not note.strip():
        raise ValidationError({"note": _("Tuliskan apa yang perlu diperbaiki BKM pada catatan.")})
    proposal.status = to_status
    if at is not None:
        # A step recorded after the fact: the change history carries its date too (status_since reads it).
        proposal._history_date = at  # type: ignore[attr-defined]
    proposal.save()
    ProposalEvent.objects.create(
        proposal=proposal,
        from_status=current,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
        at=at or timezone.now(),
    )
    _notify_proposal_step(proposal=proposal, from_status=current, actor=actor, note=note)
    return proposal


# Pipeline decisions the BKM hears of, besides the verification itself.
PROPOSAL_DECISIONS_TOLD_TO_BKM = frozenset({ProposalStatus.DISETUJUI, ProposalStatus.DITOLAK, ProposalStatus.SELESAI})


def _notify_proposal_step(*, proposal: Proposal, from_status: str, actor: Any, note: str) -> None:
    """Submitted → the secretariat is told; verified or decided → the BKM's coordinator is told.

    Steps recorded without an actor (data entered after the fact, demo data) tell no one.
    """
    if not getattr(actor, "pk", None):
        return
    to_status = proposal.status
    url = reverse("bkm:proposal_detail", args=[proposal.pk])
    common = {"bkm": proposal.bkm, "actor": actor, "kind": SubmissionKind.PROPOSAL, "subject": proposal.title}
    if to_status == ProposalStatus.DIAJUKAN:
        notices_send(users=perms.verifier_users(), status=to_status, note=note, url=url, **common)
    elif from_status == ProposalStatus.DIAJUKAN or to_status in PROPOSAL_DECISIONS_TOLD_TO_BKM:
        notices_send(users=perms.coordinator_users(proposal.bkm), status=to_status, note=note, url=url, **common)


@file_writes()
@transaction.atomic
def proposal_attachment_add(
    *, proposal: Proposal, upload: UploadedFile, title: str = "", actor: Any
) -> ProposalAttachment:
    checked = document_check_file(upload=upload)
    attachment = ProposalAttachment(
        proposal=proposal,
        title=title,
        original_name=(upload.name or "berkas")[:255],
        extension=checked.extension,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    attachment.file.save(f"lampiran.{checked.extension}", upload, save=False)
    attachment.save()
    return attachment


# --- Notices (portal + e-mail through the outbox) ---------------------------------------------------

NOTICE_EMAIL_TASK = "bkm.tasks.send_notice_email"


def notices_send(
    *, users: Any, bkm: BKM, actor: Any, kind: str, subject: str, status: str, note: str, url: str
) -> list[Notice]:
    """One notice per user (never to the actor); its e-mail is stored in the same transaction (core.outbox)."""
    created = []
    actor_id = getattr(actor, "pk", None)
    for user in users:
        if user.pk == actor_id:
            continue
        notice = Notice.objects.create(
            user=user,
            bkm=bkm,
            actor=actor if actor_id else None,
            kind=kind,
            subject=subject[:255],
            status=status,
            note=note,
            url=url,
        )
        created.append(notice)
        if user.email:
            outbox_add(task=NOTICE_EMAIL_TASK, args=[notice.pk])
    return created


def notices_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    qs = Notice.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


# --- LPJ and slum-measure updates: submit, then accept or return -----------------------------------

# The table of a submission: submitted → accepted | returned; returned → submitted again.
SUBMISSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SubmissionStatus.DIAJUKAN: frozenset({SubmissionStatus.DITERIMA, SubmissionStatus.DIKEMBALIKAN}),
    SubmissionStatus.DIKEMBALIKAN: frozenset({SubmissionStatus.DIAJUKAN}),
    SubmissionStatus.DITERIMA: frozenset(),
}


def _submission_step(submission: LPJReport | SlumMeasureUpdate, to_status: str) -> None:
    current = submission.status
    if to_status not in SUBMISSION_TRANSITIONS[current]:
        raise ValidationError(
            _("Pengajuan berstatus «%(from)s» tidak dapat diubah ke «%(to)s».")
            % {"from": SubmissionStatus(current).label, "to": SubmissionStatus(to_status).label},
            code="illegal_transition",
        )
    submission.status = to_status


def _submitted(submission: LPJReport | SlumMeasureUpdate, *, note: str, actor: Any) -> None:
    submission.note = note
    submission.submitted_by = actor if getattr(actor, "pk", None) else None
    submission.submitted_at = timezone.now()


def _reviewed(submission: LPJReport | SlumMeasureUpdate, *, accept: bool, note: str, actor: Any) -> None:
    if not accept and not note.strip():
        raise ValidationError({"note": _("Tuliskan apa yang perlu diperbaiki BKM pada catatan.")})
    _submission_step(submission, SubmissionStatus.DITERIMA if accept else SubmissionStatus.DIKEMBALIKAN)
    submission.reviewed_by = actor if getattr(actor, "pk", None) else None
    submission.reviewed_at = timezone.now()
    submission.review_note = note


def _notify_submission(
    *, submission: LPJReport | SlumMeasureUpdate, kind: str, subject: str, url: str, actor: Any, note: str
) -> None:
    to_bkm = submission.status != SubmissionStatus.DIAJUKAN
    notices_send(
        users=perms.coordinator_users(submission.bkm) if to_bkm else perms.verifier_users(),
        bkm=submission.bkm,
        actor=actor,
        kind=kind,
        subject=subject,
        status=submission.status,
        note=note,
        url=url,
    )


@file_writes()
@transaction.atomic
def lpj_submit(
    *, bkm: BKM, year: int, upload: UploadedFile, note: str = "", actor: Any, report: LPJReport | None = None
) -> LPJReport:
    """Submit the year's LPJ, or resubmit a returned one with a new file."""
    checked = document_check_file(upload=upload)
    if report is None:
        existing = LPJReport.objects.select_for_update().filter(bkm=bkm, year=year).first()
        if existing is not None:
            raise ValidationError(
                {
                    "year": _("LPJ tahun %(year)s sudah diajukan (%(status)s); buka pengajuan itu.")
                    % {"year": year, "status": SubmissionStatus(existing.status).label}
                }
            )
        report = LPJReport(bkm=bkm, year=year)
    else:
        report = LPJReport.objects.select_for_update().get(pk=report.pk)
        if report.bkm_id != bkm.pk:
            raise ValidationError(_("LPJ itu milik BKM lain."))
        _submission_step(report, SubmissionStatus.DIAJUKAN)
        report.year = year
    report.original_name = (upload.name or "berkas")[:255]
    report.extension = checked.extension
    report.content_type = checked.content_type
    report.size = checked.size
    report.sha256 = checked.sha256
    _submitted(report, note=note, actor=actor)
    # The earlier file of a resubmission stays stored: the change history names it.
    report.file.save(f"lpj.{checked.extension}", upload, save=False)
    report.full_clean(exclude=["file"])
    report.save()
    _notify_submission(
        submission=report,
        kind=SubmissionKind.LPJ,
        subject=f"{bkm.name} {year}",
        url=reverse("bkm:lpj_detail", args=[report.pk]),
        actor=actor,
        note=note,
    )
    return report


@file_writes()
@transaction.atomic
def lpj_verify(*, report_id: int, accept: bool, note: str = "", actor: Any) -> LPJReport:
    """Accept (the file becomes the BKM's LPJ document for the year) or return with a note."""
    report = LPJReport.objects.select_for_update().select_related("bkm").get(pk=report_id)
    _reviewed(report, accept=accept, note=note, actor=actor)
    if accept:
        with report.file.open("rb") as handle:
            report.document = document_create(
                bkm=report.bkm,
                doc_type=DocumentType.LPJ,
                title=_("LPJ tahun %(year)s") % {"year": report.year},
                upload=File(handle, name=report.original_name),  # type: ignore[arg-type]
                note=note,
                actor=actor,
            )
    report.save()
    _notify_submission(
        submission=report,
        kind=SubmissionKind.LPJ,
        subject=f"{report.bkm.name} {report.year}",
        url=reverse("bkm:lpj_detail", args=[report.pk]),
        actor=actor,
        note=note,
    )
    return report


MEASURE_FIELDS = tuple(field for field, _label in SLUM_ASPECTS)


@transaction.atomic
def slum_measure_update_submit(
    *,
    bkm: BKM,
    area: SlumArea,
    data: Mapping[str, Any],
    note: str = "",
    actor: Any,
    update: SlumMeasureUpdate | None = None,
) -> SlumMeasureUpdate:
    """Propose a year's measure of a slum area of the BKM's kelurahan; nothing is measured until accepted."""
    if update is None:
        update = SlumMeasureUpdate(bkm=bkm, slum_area=area)
    else:
        update = SlumMeasureUpdate.objects.select_for_update().get(pk=update.pk)
        if update.bkm_id != bkm.pk or update.slum_area_id != area.pk:
            raise ValidationError(_("Usulan pengukuran itu milik BKM atau kawasan lain."))
        _submission_step(update, SubmissionStatus.DIAJUKAN)
    _submitted(update, note=note, actor=actor)
    _apply_and_save(update, _pick(data, ("year", *MEASURE_FIELDS)))
    _notify_submission(
        submission=update,
        kind=SubmissionKind.MEASURE,
        subject=f"{area.name} {update.year}",
        url=reverse("bkm:measure_update_detail", args=[update.pk]),
        actor=actor,
        note=note,
    )
    return update


@transaction.atomic
def slum_measure_update_verify(*, update_id: int, accept: bool, note: str = "", actor: Any) -> SlumMeasureUpdate:
    """Accept (the area's measure for that year is written, replacing an earlier one) or return: nothing changes."""
    update = SlumMeasureUpdate.objects.select_for_update().select_related("bkm", "slum_area").get(pk=update_id)
    _reviewed(update, accept=accept, note=note, actor=actor)
    if accept:
        area = update.slum_area
        existing = SlumMeasure.objects.filter(slum_area=area, year=update.year).first()
        update.measure = slum_measure_save(
            area=area,
            measure=existing,
            data={"year": update.year, **{f: getattr(update, f) for f in MEASURE_FIELDS}},
        )
    update.save()
    _notify_submission(
        submission=update,
        kind=SubmissionKind.MEASURE,
        subject=f"{update.slum_area.name} {update.year}",
        url=reverse("bkm:measure_update_detail", args=[update.pk]),
        actor=actor,
        note=note,
    )
    return update


# --- Assessments and audits -------------------------------------------------------------------------


def assessment_total(scores: list[tuple[Decimal, Decimal]]) -> Decimal:
    """Weighted mean of (weight, score) pairs, two decimals half up."""
    total_weight = sum((w for w, _s in scores), Decimal(0))
    if not total_weight:
        return Decimal(0)
    weighted = sum((w * s for w, s in scores), Decimal(0))
    return (weighted / total_weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def assessment_save(
    *,
    bkm: BKM,
    assessment: Assessment | None = None,
    data: Mapping[str, Any],
    scores: Mapping[AssessmentAspect, tuple[Decimal, Decimal]],
) -> Assessment:
    """Save an assessment and its (weight, score) per aspect; weights must total 100 %."""
    weight_sum = sum((w for w, _s in scores.values()), Decimal(0))
    if weight_sum != 100:
        raise ValidationError(_("Jumlah bobot harus 100%%, sekarang %(sum)s%%.") % {"sum": weight_sum.normalize()})
    assessment = assessment or Assessment(bkm=bkm)
    if assessment.bkm_id != bkm.pk:
        raise ValidationError(_("Penilaian itu milik BKM lain."))
    assessment.total_score = assessment_total(list(scores.values()))
    _apply_and_save(assessment, data)
    existing = {s.aspect_id: s for s in assessment.scores.all()}
    for aspect, (weight, score) in scores.items():
        row = existing.get(aspect.pk) or AssessmentScore(assessment=assessment, aspect=aspect)
        row.weight, row.score = weight, score
        row.full_clean()
        row.save()
    return assessment


@transaction.atomic
def audit_save(*, bkm: BKM, audit: AuditRecord | None = None, data: Mapping[str, Any]) -> AuditRecord:
    audit = audit or AuditRecord(bkm=bkm)
    if audit.bkm_id != bkm.pk:
        raise ValidationError(_("Catatan audit itu milik BKM lain."))
    document = data.get("report_document")
    if document is not None and document.bkm_id != bkm.pk:
        raise ValidationError({"report_document": _("Dokumen laporan audit harus milik BKM ini.")})
    return _apply_and_save(audit, data)
