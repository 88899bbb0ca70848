"""Registry screens. Thin: permissions from bkm.permissions, reads from
bkm.selectors, writes through bkm.services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import exports
from core.filters import filterset
from core.params import is_number
from core.permissions import is_staff
from core.storage import open_stored

from . import geo, selectors, services
from . import permissions as perms
from .filters import BKMFilterSet, ProposalFilterSet
from .filters import kelurahan_options as kelurahan_options_of
from .forms import (
    AssessmentForm,
    AuditForm,
    BankAccountForm,
    BKMContactsForm,
    BKMCreateForm,
    BKMProfileForm,
    BoardMemberForm,
    DocumentForm,
    DocumentVersionForm,
    ElectionForm,
    GeoJSONUploadForm,
    HandoverForm,
    OPDForm,
    ProposalForm,
    ProposalTransitionForm,
    RPLPItemForm,
    SlumAreaForm,
    SlumMeasureForm,
    UnitForm,
    UnitPersonForm,
    add_service_errors,
)
from .links import unit_links
from .models import (
    BKM,
    OPD,
    SLUM_ASPECTS,
    Assessment,
    AssessmentAspect,
    AuditRecord,
    BankAccount,
    BoardMember,
    Document,
    DocumentVersion,
    Election,
    Handover,
    Kecamatan,
    Kelurahan,
    Proposal,
    RPLPItem,
    SlumArea,
    SlumMeasure,
    Unit,
    UnitPerson,
)

PAGE_SIZE = 25


def _get_bkm_for_view(request: HttpRequest, pk: int, *, queryset: Any = None) -> BKM:
    if queryset is None:
        queryset = BKM.objects.select_related("kelurahan__kecamatan")
    bkm = get_object_or_404(queryset, pk=pk)
    perms.check_bkm_view(request.user, bkm)
    return bkm


def _htmx_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.boosted


def _bkm_filterset(request: HttpRequest) -> BKMFilterSet:
    """The list's filters over the BKMs the user may see: the page, page 2 and both exports use it."""
    return filterset(BKMFilterSet, request.GET, selectors.bkm_list_with_warnings(user=request.user))


# --- List and exports -------------------------------------------------------------


@login_required
def bkm_list(request: HttpRequest) -> HttpResponse:
    fs = _bkm_filterset(request)
    page: Any = Paginator(fs.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (bkm, selectors.bkm_warnings(bkm), selectors.women_share_pct(bkm.women_count, bkm.board_size)) for bkm in page
    ]
    context = {
        "form": fs.form,
        "page_obj": page,
        "rows": rows,
        "can_create": perms.can_create_bkm(request.user),
        "querystring": request.GET.urlencode(),
    }
    htmx = getattr(request, "htmx", None)
    template = "bkm/_bkm_table.html" if htmx and not htmx.boosted else "bkm/bkm_list.html"
    return render(request, template, context)


@login_required
def kelurahan_options(request: HttpRequest) -> HttpResponse:
    """htmx: the kelurahan <option>s of one kecamatan for the list filter (the list's own rule)."""
    kecamatan = request.GET.get("kecamatan", "")
    kelurahan = kelurahan_options_of(kecamatan_id=int(kecamatan) if is_number(kecamatan) else None)
    return render(request, "bkm/_kelurahan_options.html", {"kelurahan": kelurahan})


def _export_queryset(request: HttpRequest) -> Any:
    perms.check_bkm_export(request.user)
    return _bkm_filterset(request).qs


def _export_name(ext: str) -> str:
    return f"bkm-lkm-{timezone.localdate():%Y%m%d}.{ext}"


@login_required
def bkm_export_csv(request: HttpRequest) -> HttpResponse:
    qs = _export_queryset(request)
    return exports.csv_response(
        filename=_export_name("csv"), rows=selectors.bkm_export_rows(qs.iterator(chunk_size=500))
    )


@login_required
def bkm_export_xlsx(request: HttpRequest) -> HttpResponse:
    qs = _export_queryset(request)
    return exports.xlsx_response(
        filename=_export_name("xlsx"), rows=selectors.bkm_export_rows(qs.iterator(chunk_size=500)), title=_("BKM-LKM")
    )


# --- One BKM ---------------------------------------------------------------------------


@login_required
def bkm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The BKM comes with its overview, kept in the cache until the registry changes. The records below
    # the fold (documents, RPLP, proposals, assessments, audits, history…) load on demand from `bkm_records`.
    try:
        overview = selectors.bkm_overview_kept(pk=pk)
    except BKM.DoesNotExist as exc:
        raise Http404 from exc
    bkm = overview.bkm
    perms.check_bkm_view(request.user, bkm)
    can = perms.editable_parts(request.user, bkm)
    return render(
        request,
        "bkm/bkm_detail.html",
        {
            "bkm": overview.bkm,
            "p": overview,
            "can": can,
            # Full NIKs for staff and board editors; other readers see them masked.
            "show_nik": is_staff(request.user) or perms.Part.BOARD in can,
            "unit_links": unit_links(request.user, overview.units),
            "can_submit": perms.can_submit_for(request.user, bkm),
            # The same map as the public pages (public data only), focused on this kelurahan.
            "map": {
                "src": reverse("public:map_data"),
                "tiles": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "bkm_url": reverse("bkm:detail", args=[0]),
                "kelurahan": bkm.kelurahan_id,
            },
        },
    )


@login_required
def bkm_records(request: HttpRequest, pk: int) -> HttpResponse:
    """The BKM page's records below the fold: the fragment its htmx placeholder loads, or, followed as a
    plain link, a page of its own. Checked like the BKM page."""
    try:
        kept = selectors.bkm_records_kept(pk=pk, history_limit=15)
    except BKM.DoesNotExist as exc:
        raise Http404 from exc
    bkm = kept.bkm
    perms.check_bkm_view(request.user, bkm)
    return render(
        request,
        "bkm/_bkm_records.html" if _htmx_fragment(request) else "bkm/bkm_records.html",
        {
            "bkm": bkm,
            "p": kept.records,
            "can": perms.editable_parts(request.user, bkm),
            "history": kept.history,
            "can_create_proposal": perms.can_create_proposal(request.user, bkm),
            "can_publish": perms.can_publish_documents(request.user),
        },
    )


@login_required
def bkm_history(request: HttpRequest, pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    page = Paginator(selectors.bkm_history(bkm=bkm, limit=None), 50).get_page(request.GET.get("page"))
    return render(request, "bkm/history.html", {"bkm": bkm, "page_obj": page})


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    title: str,
    back: str,
    save: Callable[[Any], Any],
    success: str,
    next_url: str | Callable[[Any], str],
    multipart: bool = False,
    bkm: BKM | None = None,
) -> HttpResponse:
    """Shared GET/POST handling: valid form → service → message → redirect."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(next_url(result) if callable(next_url) else next_url)
    return render(
        request,
        "bkm/form.html",
        {"form": form, "title": title, "back": back, "multipart": multipart, "bkm": bkm},
        status=400 if request.method == "POST" else 200,
    )


def _detail_url(bkm: BKM, anchor: str = "") -> str:
    url = reverse("bkm:detail", args=[bkm.pk])
    return f"{url}#{anchor}" if anchor else url


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@login_required
def bkm_create(request: HttpRequest) -> HttpResponse:
    perms.check_bkm_create(request.user)
    form = BKMCreateForm(_post(request))
    return _form_page(
        request,
        form=form,
        title=_("BKM/LKM baru"),
        back=reverse("bkm:list"),
        save=lambda f: services.bkm_create(data=f.cleaned_data),
        success=_("BKM/LKM dicatat."),
        next_url=lambda bkm: _detail_url(bkm),
    )


@login_required
def bkm_edit_profile(request: HttpRequest, pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.PROFILE)
    form = BKMProfileForm(_post(request), instance=bkm)
    return _form_page(
        request,
        form=form,
        title=_("Ubah profil dan dasar hukum"),
        back=_detail_url(bkm),
        save=lambda f: services.bkm_update_profile(bkm=bkm, data=f.cleaned_data),
        success=_("Profil BKM disimpan."),
        next_url=_detail_url(bkm, "profil"),
        bkm=bkm,
    )


@login_required
def bkm_edit_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.CONTACTS)
    form = BKMContactsForm(_post(request), instance=bkm)
    return _form_page(
        request,
        form=form,
        title=_("Ubah alamat dan kontak sekretariat"),
        back=_detail_url(bkm),
        save=lambda f: services.bkm_update_contacts(bkm=bkm, data=f.cleaned_data),
        success=_("Kontak sekretariat disimpan."),
        next_url=_detail_url(bkm, "profil"),
        bkm=bkm,
    )


def _child_form_view(
    request: HttpRequest,
    *,
    bkm_pk: int,
    obj_pk: int | None,
    model: type[Model],
    part: str,
    form_class: Any,
    service: Callable[..., Any],
    service_kw: str,
    anchor: str,
    title_new: str,
    title_edit: str,
    success: str,
    form_bkm: bool = False,
) -> HttpResponse:
    bkm = _get_bkm_for_view(request, bkm_pk)
    perms.check_bkm_edit(request.user, bkm, part)
    # A record of another BKM is out of scope: 404, like the BKM itself.
    instance = get_object_or_404(model, pk=obj_pk, bkm=bkm) if obj_pk else model(bkm=bkm)  # type: ignore[misc]
    kwargs: dict[str, Any] = {"bkm": bkm} if form_bkm else {}
    form = form_class(_post(request), instance=instance, **kwargs)
    existing = instance if instance.pk else None
    return _form_page(
        request,
        form=form,
        title=title_edit if existing else title_new,
        back=_detail_url(bkm, anchor),
        save=lambda f: service(bkm=bkm, data=f.cleaned_data, **{service_kw: existing}),
        success=success,
        next_url=_detail_url(bkm, anchor),
        bkm=bkm,
    )


@login_required
def board_member_form(request: HttpRequest, pk: int, member_pk: int | None = None) -> HttpResponse:
    return _child_form_view(
        request,
        bkm_pk=pk,
        obj_pk=member_pk,
        model=BoardMember,
        part=perms.Part.BOARD,
        form_class=BoardMemberForm,
        service=services.board_member_save,
        service_kw="member",
        anchor="pengurus",
        title_new=_("Tambah anggota BKM"),
        title_edit=_("Ubah anggota BKM"),
        success=_("Data anggota BKM disimpan."),
        form_bkm=True,
    )


@login_required
def election_form(request: HttpRequest, pk: int, election_pk: int | None = None) -> HttpResponse:
    return _child_form_view(
        request,
        bkm_pk=pk,
        obj_pk=election_pk,
        model=Election,
        part=perms.Part.BOARD,
        form_class=ElectionForm,
        service=services.election_save,
        service_kw="election",
        anchor="pemilihan",
        title_new=_("Catat pemilihan BKM"),
        title_edit=_("Ubah data pemilihan"),
        success=_("Data pemilihan disimpan."),
    )


@login_required
def unit_form(request: HttpRequest, pk: int, unit_pk: int | None = None) -> HttpResponse:
    return _child_form_view(
        request,
        bkm_pk=pk,
        obj_pk=unit_pk,
        model=Unit,
        part=perms.Part.UNITS,
        form_class=UnitForm,
        service=services.unit_save,
        service_kw="unit",
        anchor="unit",
        title_new=_("Tambah unit"),
        title_edit=_("Ubah unit"),
        success=_("Data unit disimpan."),
    )


@login_required
def unit_person_form(request: HttpRequest, pk: int, person_pk: int | None = None) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.UNITS)
    person = get_object_or_404(UnitPerson, pk=person_pk, unit__bkm=bkm) if person_pk else None
    initial = {}
    if person is None and is_number(request.GET.get("unit", "")):
        initial["unit"] = int(request.GET["unit"])
    form = UnitPersonForm(_post(request), instance=person, bkm=bkm, initial=initial)
    return _form_page(
        request,
        form=form,
        title=_("Ubah personil unit") if person else _("Tambah personil unit"),
        back=_detail_url(bkm, "unit"),
        save=lambda f: services.unit_person_save(bkm=bkm, person=person, data=f.cleaned_data),
        success=_("Data personil unit disimpan."),
        next_url=_detail_url(bkm, "unit"),
        bkm=bkm,
    )


@login_required
def bank_account_form(request: HttpRequest, pk: int, account_pk: int | None = None) -> HttpResponse:
    return _child_form_view(
        request,
        bkm_pk=pk,
        obj_pk=account_pk,
        model=BankAccount,
        part=perms.Part.BANK,
        form_class=BankAccountForm,
        service=services.bank_account_save,
        service_kw="account",
        anchor="rekening",
        title_new=_("Tambah rekening bank"),
        title_edit=_("Ubah rekening bank"),
        success=_("Rekening bank disimpan."),
    )


@login_required
def handover_form(request: HttpRequest, pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.HANDOVER)
    instance = Handover.objects.filter(bkm=bkm).first() or Handover(bkm=bkm)
    form = HandoverForm(_post(request), instance=instance, bkm=bkm)
    return _form_page(
        request,
        form=form,
        title=_("Serah terima aset pasca-KOTAKU"),
        back=_detail_url(bkm, "serah-terima"),
        save=lambda f: services.handover_save(bkm=bkm, data=f.cleaned_data),
        success=_("Data serah terima disimpan."),
        next_url=_detail_url(bkm, "serah-terima"),
        bkm=bkm,
    )


@login_required
def assessment_form(request: HttpRequest, pk: int, assessment_pk: int | None = None) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.ASSESSMENT)
    assessment = get_object_or_404(Assessment, pk=assessment_pk, bkm=bkm) if assessment_pk else None
    aspects = list(AssessmentAspect.objects.filter(is_active=True).order_by("order"))
    current: dict[int, Any] = {}
    initial: dict[str, Any] = {"year": timezone.localdate().year}
    if assessment is not None:
        current = {s.aspect_id: (s.weight, s.score) for s in assessment.scores.all()}
        aspects = sorted({*aspects, *AssessmentAspect.objects.filter(pk__in=current)}, key=lambda a: (a.order, a.name))
        initial = {k: getattr(assessment, k) for k in ("year", "assessed_on", "assessor", "notes")}
    form = AssessmentForm(_post(request), aspects=aspects, current=current, initial=initial)
    return _form_page(
        request,
        form=form,
        title=_("Penilaian kelembagaan tahunan"),
        back=_detail_url(bkm, "penilaian"),
        save=lambda f: services.assessment_save(
            bkm=bkm, assessment=assessment, data=f.assessment_data(), scores=f.scores()
        ),
        success=_("Penilaian disimpan."),
        next_url=_detail_url(bkm, "penilaian"),
        bkm=bkm,
    )


@login_required
def audit_form(request: HttpRequest, pk: int, audit_pk: int | None = None) -> HttpResponse:
    return _child_form_view(
        request,
        bkm_pk=pk,
        obj_pk=audit_pk,
        model=AuditRecord,
        part=perms.Part.AUDIT,
        form_class=AuditForm,
        service=services.audit_save,
        service_kw="audit",
        anchor="audit",
        title_new=_("Catat audit"),
        title_edit=_("Ubah catatan audit"),
        success=_("Catatan audit disimpan."),
        form_bkm=True,
    )


@login_required
def rplp_item_form(request: HttpRequest, pk: int, item_pk: int | None = None) -> HttpResponse:
    return _child_form_view(
        request,
        bkm_pk=pk,
        obj_pk=item_pk,
        model=RPLPItem,
        part=perms.Part.RPLP,
        form_class=RPLPItemForm,
        service=services.rplp_item_save,
        service_kw="item",
        anchor="rplp",
        title_new=_("Tambah kegiatan RPLP"),
        title_edit=_("Ubah kegiatan RPLP"),
        success=_("Kegiatan RPLP disimpan."),
        form_bkm=True,
    )


@login_required
@require_POST
def rplp_item_delete(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.RPLP)
    item = get_object_or_404(RPLPItem, pk=item_pk, bkm=bkm)
    try:
        services.rplp_item_delete(bkm=bkm, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Kegiatan RPLP dihapus."))
    return redirect(_detail_url(bkm, "rplp"))


# --- Documents -----------------------------------------------------------------------------


@login_required
def document_create(request: HttpRequest, pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.DOCUMENTS)
    form = DocumentForm(_post(request), request.FILES or None)
    return _form_page(
        request,
        form=form,
        title=_("Unggah dokumen"),
        back=_detail_url(bkm, "dokumen"),
        save=lambda f: services.document_create(
            bkm=bkm,
            doc_type=f.cleaned_data["doc_type"],
            title=f.cleaned_data["title"],
            description=f.cleaned_data["description"],
            upload=f.cleaned_data["file"],
            note=f.cleaned_data["note"],
            actor=request.user,
        ),
        success=_("Dokumen diunggah."),
        next_url=_detail_url(bkm, "dokumen"),
        multipart=True,
        bkm=bkm,
    )


@login_required
def document_add_version(request: HttpRequest, pk: int, doc_pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_bkm_edit(request.user, bkm, perms.Part.DOCUMENTS)
    document = get_object_or_404(Document, pk=doc_pk, bkm=bkm)
    form = DocumentVersionForm(_post(request), request.FILES or None)
    return _form_page(
        request,
        form=form,
        title=_("Versi baru: %(doc)s") % {"doc": document},
        back=_detail_url(bkm, "dokumen"),
        save=lambda f: services.document_add_version(
            document=document, upload=f.cleaned_data["file"], note=f.cleaned_data["note"], actor=request.user
        ),
        success=_("Versi baru dokumen diunggah."),
        next_url=_detail_url(bkm, "dokumen"),
        multipart=True,
        bkm=bkm,
    )


@login_required
def document_download(request: HttpRequest, version_pk: int) -> FileResponse:
    version = get_object_or_404(DocumentVersion.objects.select_related("document__bkm"), pk=version_pk)
    perms.check_document_download(request.user, version)
    handle = open_stored(version.file.name, what=f"document version {version.pk}")
    response = FileResponse(
        handle, as_attachment=True, filename=version.original_name, content_type=version.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_publish(request: HttpRequest, pk: int, doc_pk: int) -> HttpResponse:
    """POST: publish a document on the public BKM page, or withdraw it (staff admin)."""
    bkm = _get_bkm_for_view(request, pk)
    document = get_object_or_404(Document, pk=doc_pk, bkm=bkm)
    perms.check_document_publish(request.user, document)
    if request.method != "POST":
        return redirect(_detail_url(bkm, "dokumen"))
    published = request.POST.get("published") == "1"
    services.document_set_published(document=document, published=published)
    messages.success(
        request,
        _("Dokumen diterbitkan di halaman publik.") if published else _("Dokumen ditarik dari halaman publik."),
    )
    return redirect(_detail_url(bkm, "dokumen"))


# --- Geometry uploads (kelurahan boundaries, slum-area delineations) ---------------------------


def _geometry_form(
    request: HttpRequest, *, title: str, back: str, save: Callable[[bytes | None], Any], current: Any
) -> HttpResponse:
    form = GeoJSONUploadForm(_post(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            save(form.geojson())
        except geo.GeometryError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("Geometri disimpan."))
            return redirect(back)
    return render(
        request,
        "bkm/geometry_form.html",
        {"form": form, "title": title, "back": back, "current": current},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def kelurahan_list(request: HttpRequest) -> HttpResponse:
    """Kelurahan and whether their boundary is on record (staff upload them here)."""
    perms.check_reference_view(request.user)
    rows = Kelurahan.objects.select_related("kecamatan").order_by("kecamatan__name", "name")
    return render(
        request, "bkm/kelurahan_list.html", {"rows": rows, "can_edit": perms.can_edit_reference(request.user)}
    )


@login_required
def kelurahan_boundary_form(request: HttpRequest, pk: int) -> HttpResponse:
    perms.check_reference_edit(request.user)
    kelurahan = get_object_or_404(Kelurahan, pk=pk)
    return _geometry_form(
        request,
        title=_("Batas wilayah: Kelurahan %(name)s") % {"name": kelurahan.name},
        back=reverse("bkm:kelurahan_list"),
        save=lambda data: services.kelurahan_set_boundary(kelurahan=kelurahan, geojson=data),
        current=kelurahan.boundary,
    )


@login_required
def slum_area_geometry_form(request: HttpRequest, pk: int) -> HttpResponse:
    perms.check_reference_edit(request.user)
    area = get_object_or_404(SlumArea, pk=pk)
    return _geometry_form(
        request,
        title=_("Delineasi: %(area)s") % {"area": area.name},
        back=reverse("bkm:slum_detail", args=[area.pk]),
        save=lambda data: services.slum_area_set_geometry(area=area, geojson=data),
        current=area.geometry,
    )


# --- Proposals -------------------------------------------------------------------------------


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    proposals = selectors.proposal_list(user=request.user)
    fs = filterset(ProposalFilterSet, request.GET, proposals)
    # The page's ids first, sorted over the proposals and their BKM's name alone, then the page's 25
    # rows with their names: sorting every proposal joined to its BKM, OPD, kelurahan and slum area
    # (their boundaries included) cost the province's 2,600 proposals ~8 ms a page.
    page: Any = Paginator(fs.qs.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    rows = {p.pk: p for p in proposals.filter(pk__in=ids)}
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return render(request, "bkm/proposal_list.html", {"form": fs.form, "page_obj": page})


@login_required
def proposal_create(request: HttpRequest, pk: int) -> HttpResponse:
    bkm = _get_bkm_for_view(request, pk)
    perms.check_proposal_create(request.user, bkm)
    # The coordinator drafts (and submits later for verification); staff record one received on paper.
    draft = perms.is_coordinator_of(request.user, bkm)
    form = ProposalForm(_post(request), bkm=bkm)
    return _form_page(
        request,
        form=form,
        title=_("Usulan kegiatan baru"),
        back=_detail_url(bkm, "usulan"),
        save=lambda f: services.proposal_create(bkm=bkm, data=f.cleaned_data, actor=request.user, draft=draft),
        success=_("Draf usulan disimpan. Lengkapi lampiran, lalu ajukan untuk verifikasi.")
        if draft
        else _("Usulan kegiatan dicatat."),
        next_url=lambda p: reverse("bkm:proposal_detail", args=[p.pk]),
        bkm=bkm,
    )


def _get_proposal(request: HttpRequest, pk: int) -> Proposal:
    try:
        proposal = selectors.proposal_detail(pk=pk)
    except Proposal.DoesNotExist as exc:
        raise Http404 from exc
    perms.check_proposal_view(request.user, proposal)
    return proposal


@login_required
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(request, pk)
    perms.check_proposal_edit(request.user, proposal)
    form = ProposalForm(_post(request), instance=proposal, bkm=proposal.bkm)
    return _form_page(
        request,
        form=form,
        title=_("Ubah usulan kegiatan"),
        back=reverse("bkm:proposal_detail", args=[proposal.pk]),
        save=lambda f: services.proposal_update(proposal=proposal, data=f.cleaned_data),
        success=_("Usulan kegiatan disimpan."),
        next_url=reverse("bkm:proposal_detail", args=[proposal.pk]),
        bkm=proposal.bkm,
    )


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _get_proposal(request, pk)
    steps = perms.proposal_steps_for(request.user, proposal, services.proposal_allowed_transitions(proposal.status))
    form = None
    status = 200
    if request.method == "POST":
        perms.check_proposal_transition(request.user, proposal)
        form = ProposalTransitionForm(request.POST, allowed=steps, current=proposal.status)
        if form.is_valid():
            perms.check_proposal_transition(request.user, proposal, form.cleaned_data["to_status"])
            try:
                services.proposal_transition(
                    proposal_id=proposal.pk,
                    to_status=form.cleaned_data["to_status"],
                    note=form.cleaned_data["note"],
                    budget_approved=form.cleaned_data.get("budget_approved"),
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Status usulan diperbarui."))
                return redirect("bkm:proposal_detail", pk=proposal.pk)
        status = 400
    elif steps:
        form = ProposalTransitionForm(allowed=steps, current=proposal.status)
    can_edit = perms.can_edit_proposal(request.user, proposal)
    return render(
        request,
        "bkm/proposal_detail.html",
        {
            "proposal": proposal,
            "form": form,
            "can_edit": can_edit,
        },
        status=status,
    )


# --- Slum areas and OPD directory ------------------------------------------------------------


@login_required
def slum_area_list(request: HttpRequest) -> HttpResponse:
    perms.check_reference_view(request.user)
    kecamatan = request.GET.get("kecamatan", "")
    areas = selectors.slum_area_list(kecamatan=int(kecamatan) if is_number(kecamatan) else None)
    return render(
        request,
        "bkm/slum_list.html",
        {
            "areas": areas,
            "kecamatan_list": Kecamatan.objects.order_by("name"),
            "selected": kecamatan,
            "can_edit": perms.can_edit_reference(request.user),
        },
    )


@login_required
def slum_area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    perms.check_reference_view(request.user)
    area = get_object_or_404(SlumArea.objects.select_related("kelurahan__kecamatan"), pk=pk)
    measures = list(area.measures.order_by("year"))
    return render(
        request,
        "bkm/slum_detail.html",
        {
            "area": area,
            "measures": measures,
            "aspects": [(str(label), [getattr(m, f) for m in measures]) for f, label in SLUM_ASPECTS],
            "can_edit": perms.can_edit_reference(request.user),
        },
    )


@login_required
def slum_area_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    perms.check_reference_edit(request.user)
    area = get_object_or_404(SlumArea, pk=pk) if pk else None
    form = SlumAreaForm(_post(request), instance=area)
    return _form_page(
        request,
        form=form,
        title=_("Ubah kawasan kumuh") if area else _("Kawasan kumuh baru"),
        back=reverse("bkm:slum_list"),
        save=lambda f: services.slum_area_save(area=area, data=f.cleaned_data),
        success=_("Kawasan kumuh disimpan."),
        next_url=lambda a: reverse("bkm:slum_detail", args=[a.pk]),
    )


@login_required
def slum_measure_form(request: HttpRequest, pk: int, measure_pk: int | None = None) -> HttpResponse:
    perms.check_reference_edit(request.user)
    area = get_object_or_404(SlumArea, pk=pk)
    measure = (
        get_object_or_404(SlumMeasure, pk=measure_pk, slum_area=area) if measure_pk else SlumMeasure(slum_area=area)
    )
    form = SlumMeasureForm(_post(request), instance=measure)
    return _form_page(
        request,
        form=form,
        title=_("Pengukuran tahunan: %(area)s") % {"area": area},
        back=reverse("bkm:slum_detail", args=[area.pk]),
        save=lambda f: services.slum_measure_save(
            area=area, measure=measure if measure.pk else None, data=f.cleaned_data
        ),
        success=_("Pengukuran disimpan."),
        next_url=reverse("bkm:slum_detail", args=[area.pk]),
    )


@login_required
def opd_list(request: HttpRequest) -> HttpResponse:
    perms.check_reference_view(request.user)
    # Proposal counts only over the proposals this user may see.
    visible = perms.filter_proposals_for(request.user).order_by()
    counts = dict(visible.values("opd").annotate(n=Count("pk")).values_list("opd", "n"))
    opds = [(opd, counts.get(opd.pk, 0)) for opd in OPD.objects.order_by("name")]
    return render(request, "bkm/opd_list.html", {"opds": opds, "can_edit": perms.can_edit_reference(request.user)})


@login_required
def opd_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    perms.check_reference_edit(request.user)
    opd = get_object_or_404(OPD, pk=pk) if pk else None
    form = OPDForm(_post(request), instance=opd)
    return _form_page(
        request,
        form=form,
        title=_("Ubah OPD") if opd else _("OPD baru"),
        back=reverse("bkm:opd_list"),
        save=lambda f: services.opd_save(opd=opd, data=f.cleaned_data),
        success=_("Data OPD disimpan."),
        next_url=reverse("bkm:opd_list"),
    )
