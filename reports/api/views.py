"""Open-data API: read-only, paginated, CSV with ?format=csv.

Public endpoints (kecamatan, kelurahan, BKM public fields) need no login;
the others need a session or a token (`Authorization: Token …`) and apply the
same `filter_*` permission rules as the screens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import render
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from bkm.models import BKM, BKMStatus, Kecamatan, Kelurahan, ProposalStatus
from core.db_router import replica_reads
from reports.selectors import proposal_list

from .renderers import CSVRenderer, GeoJSONRenderer
from .serializers import (
    INDICATOR_CODES,
    BKMPublicSerializer,
    KecamatanSerializer,
    KelurahanSerializer,
    MeetingPublicSerializer,
    ProposalSerializer,
    RPLPItemPublicSerializer,
    SlumAreaFeatureSerializer,
    UpkIndicatorSerializer,
)


class OpenDataPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _int_param(request: Request, name: str, *, low: int = 1, high: int = 2**31 - 1) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise ValidationError({name: "Harus berupa bilangan bulat."}) from None
    if not low <= value <= high:
        raise ValidationError({name: f"Di luar rentang {low}–{high}."})
    return value


def _choice_param(request: Request, name: str, choices: list[str]) -> str | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw not in choices:
        raise ValidationError({name: f"Pilihan yang sah: {', '.join(choices)}."})
    return raw


KECAMATAN_PARAM = OpenApiParameter("kecamatan", OpenApiTypes.INT, description="ID kecamatan")


class OpenDataViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = OpenDataPagination
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    _replica: Any = None

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        # Authentication and permissions on the primary; then the handler's reads from the read
        # replica when one is configured (core/db_router.py), until finalize_response.
        super().initial(request, *args, **kwargs)
        self._replica = replica_reads()
        self._replica.__enter__()

    def paginate_queryset(self, queryset: Any) -> Any:
        # The CSV (and GeoJSON) variant is the whole data set, as open-data portals expect.
        renderer = getattr(self.request, "accepted_renderer", None)
        if renderer and renderer.format in ("csv", "geojson"):
            return None
        return super().paginate_queryset(queryset)

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        if self._replica is not None:
            self._replica.__exit__(None, None, None)
            self._replica = None
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "accepted_renderer", None) and request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = f'attachment; filename="{self.basename}.csv"'
        return response


class KecamatanViewSet(OpenDataViewSet):
    """Kecamatan of Kota Palangka Raya (public)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = KecamatanSerializer
    queryset = Kecamatan.objects.order_by("name")


@extend_schema_view(list=extend_schema(parameters=[KECAMATAN_PARAM]))
class KelurahanViewSet(OpenDataViewSet):
    """Kelurahan (public); filter by kecamatan."""

    permission_classes = [permissions.AllowAny]
    serializer_class = KelurahanSerializer

    def get_queryset(self) -> QuerySet[Kelurahan]:
        qs = Kelurahan.objects.select_related("kecamatan").order_by("kecamatan__name", "name")
        if self.action == "list" and (kec := _int_param(self.request, "kecamatan")):
            qs = qs.filter(kecamatan_id=kec)
        return qs


@extend_schema_view(
    list=extend_schema(
        parameters=[KECAMATAN_PARAM, OpenApiParameter("status", OpenApiTypes.STR, enum=BKMStatus.values)]
    )
)
class BKMViewSet(OpenDataViewSet):
    """BKM/LKM, public fields only (public)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = BKMPublicSerializer

    def get_queryset(self) -> QuerySet[BKM]:
        # Only the public columns the serializer shows: the page sorts every BKM joined to its place, and
        # whole rows (address, deeds, bank…) made that sort several times dearer at 1,000 BKMs.
        qs = (
            BKM.objects.select_related("kelurahan__kecamatan")
            .only("name", "status", "date_formed", "kelurahan__name", "kelurahan__kecamatan__name")
            .order_by("name", "id")
        )
        if self.action == "list":
            if kec := _int_param(self.request, "kecamatan"):
                qs = qs.filter(kelurahan__kecamatan_id=kec)
            if status := _choice_param(self.request, "status", BKMStatus.values):
                qs = qs.filter(status=status)
        return qs


@extend_schema_view(
    list=extend_schema(
        parameters=[
            KECAMATAN_PARAM,
            OpenApiParameter("year", OpenApiTypes.INT, description="Tahun usulan"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ProposalStatus.values),
            OpenApiParameter("opd", OpenApiTypes.INT, description="ID OPD"),
        ]
    )
)
class ProposalViewSet(OpenDataViewSet):
    """Collaboration proposals BKM → OPD (login or token; staff see all, BKM people their own BKM's)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ProposalSerializer

    def paginate_queryset(self, queryset: Any) -> Any:
        # The page in two reads: its ids in the list's order (the sort joins BKM and place for its
        # keys only), then those fifty rows. Sorting every visible proposal with all its columns to keep
        # fifty took 5–13 ms at province scale (2,600 proposals); the two reads about a quarter of that.
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
        if ids is None:  # CSV: the whole list, one read
            return None
        return list(queryset.filter(pk__in=list(ids)))

    def get_queryset(self) -> QuerySet:
        year = kec = opd = status = None
        if self.action == "list":
            year = _int_param(self.request, "year", low=1900, high=2200)
            kec = _int_param(self.request, "kecamatan")
            opd = _int_param(self.request, "opd")
            status = _choice_param(self.request, "status", ProposalStatus.values)
        # The serializer's columns only (not the proposals' long texts, nor whole BKM rows) through the sort
        # of every visible proposal (2,600 at province scale) that keeps fifty.
        qs = proposal_list(user=self.request.user, year=year, kecamatan_id=kec).only(
            "title",
            "programme",
            "year",
            "budget_proposed",
            "budget_approved",
            "funding_source",
            "status",
            "bkm__name",
            "opd__name",
            "kelurahan__name",
            "kelurahan__kecamatan__name",
        )
        if opd:
            qs = qs.filter(opd_id=opd)
        if status:
            qs = qs.filter(status=status)
        return qs


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="Tahun pertemuan")])
)
class MeetingViewSet(OpenDataViewSet):
    """Forum meetings, public fields (login or token; the forum's meeting filter: staff all, others the
    meetings open to all or inviting their BKM)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MeetingPublicSerializer

    def get_queryset(self) -> QuerySet:
        from django.db.models import Count

        from forum.models import Meeting
        from forum.permissions import filter_visible_meetings

        qs = filter_visible_meetings(self.request.user, Meeting.objects.all())
        if self.action == "list" and (year := _int_param(self.request, "year", low=1900, high=2200)):
            qs = qs.filter(starts_at__year=year)
        # The forum filter may join invitees; count decisions on a clean queryset of the visible ids.
        return (
            Meeting.objects.filter(pk__in=qs.values("pk"))
            .annotate(n_decisions=Count("decisions"))
            .prefetch_related("invited_bkms")
            .order_by("-starts_at", "-id")
        )


PERIOD_PARAM = OpenApiParameter(
    "period", OpenApiTypes.STR, description="Bulan TTTT-BB (bawaan: bulan lalu)", pattern=r"^[0-9]{4}-[0-9]{2}$"
)


def _kept_upk_rows(units: list[Any], year: int, month: int, serialize: Callable[[], Any]) -> list[dict[str, Any]]:
    """These UPKs' serialized rows (`serialize()`), kept under a digest of their figures versions and of
    the names and ids a row shows (`upk.figures.derived_whole`): the indicators are a function of the
    UPK's figures and rules alone, which its version covers. After a posting the page is computed again;
    otherwise one query and one cache read instead of the rules, the stored figures and the serializing."""
    from bkm.models import Unit
    from upk import figures

    if not units:
        return []
    digest = figures.versions_digest(
        Unit.objects.filter(pk__in=[u.pk for u in units]),
        "bkm_id",
        "bkm__name",
        "bkm__kelurahan__kecamatan_id",
        "bkm__kelurahan__kecamatan__name",
    )
    return figures.derived_whole(
        f"api-upk-indicators:{year:04d}-{month:02d}", digest, lambda: [dict(row) for row in serialize()]
    )


@extend_schema_view(
    list=extend_schema(parameters=[PERIOD_PARAM, KECAMATAN_PARAM]),
    retrieve=extend_schema(parameters=[PERIOD_PARAM]),
)
class UpkIndicatorViewSet(OpenDataViewSet):
    """Aggregated UPK indicators per month (login or token; the ledger's UPK filter: staff all UPKs,
    managers their UPKs, BKM members their BKM's). No borrower data: portfolio totals only."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = UpkIndicatorSerializer

    def get_queryset(self) -> QuerySet:
        from bkm.models import Unit
        from upk.permissions import filter_upks

        # Only the columns a row shows: the page sorts 1,000 UPKs joined to their BKMs and places, and
        # whole BKM rows (address, deed, bank…) made that sort several times dearer.
        qs = (
            filter_upks(self.request.user, Unit.objects.filter(upk_settings__isnull=False))
            .select_related("bkm__kelurahan__kecamatan")
            .only("pk", "bkm__name", "bkm__kelurahan__kecamatan__name")
        )
        if self.action == "list" and (kec := _int_param(self.request, "kecamatan")):
            qs = qs.filter(bkm__kelurahan__kecamatan_id=kec)
        return qs.order_by("bkm__name", "pk")

    def _period(self) -> tuple[int, int]:
        from django.utils import timezone

        from reports.registry import previous_month
        from reports.selectors import parse_period

        raw = self.request.query_params.get("period") or previous_month(timezone.localdate())
        try:
            year, month = parse_period(raw)
        except ValueError:
            raise ValidationError({"period": "Harus berbentuk TTTT-BB, mis. 2026-03."}) from None
        return year, month

    def _rows(self, units: list[Any]) -> list[dict[str, Any]]:
        # Indicators of this page's UPKs only: 3 queries (upk.selectors.indicators_many).
        from upk.selectors import indicators_many, month_end

        year, month = self._period()
        as_of = month_end(year, month)
        figures = indicators_many(upk_ids=[u.pk for u in units], as_of=as_of)
        rows = []
        for u in units:
            ind = figures[u.pk]
            row: dict[str, Any] = {
                "upk": u.pk,
                "bkm": u.bkm_id,
                "bkm_name": u.bkm.name,
                "kecamatan": u.bkm.kelurahan.kecamatan_id,
                "kecamatan_name": u.bkm.kelurahan.kecamatan.name,
                "period": f"{year:04d}-{month:02d}",
                "as_of": as_of,
                "outstanding": ind.figures.outstanding,
                "active_ksm": ind.figures.active_ksm,
            }
            for code in INDICATOR_CODES:
                row[code] = ind[code].value
                row[f"{code}_band"] = ind[code].band
            rows.append(row)
        return rows

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        year, month = self._period()  # a bad period is a 400 even on an empty page
        qs = self.get_queryset()
        page = self.paginate_queryset(qs)
        units = list(page if page is not None else qs)
        data = _kept_upk_rows(units, year, month, lambda: self.get_serializer(self._rows(units), many=True).data)
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self._rows([self.get_object()])[0]).data)


class _RowsViewSet(OpenDataViewSet):
    """A public list whose rows are built by a `public.selectors` function from the page's ids."""

    permission_classes = [permissions.AllowAny]

    def rows(self, ids: list[int]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = self.get_queryset()
        page = self.paginate_queryset(qs)
        ids = [obj.pk for obj in (page if page is not None else qs)]
        data = self.get_serializer(self.rows(ids), many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.rows([self.get_object().pk])[0]).data)


_FEATURE_COLLECTION = inline_serializer(
    "SlumAreaFeatureCollection",
    fields={
        "type": serializers.CharField(help_text="FeatureCollection"),
        "features": SlumAreaFeatureSerializer(many=True),
    },
)
# One object, not a page of them: the GeoJSON variant is never paginated (without this the schema
# wraps it as a paginated list and schemathesis rightly fails the real response).
set_override(_FEATURE_COLLECTION, "many", False)


@extend_schema_view(
    list=extend_schema(
        parameters=[KECAMATAN_PARAM, OpenApiParameter("kelurahan", OpenApiTypes.INT, description="ID kelurahan")],
        # The JSON list is paged; ?format=geojson is the whole set as one FeatureCollection.
        responses={
            (200, "application/json"): SlumAreaFeatureSerializer(many=True),
            (200, "text/csv"): SlumAreaFeatureSerializer(many=True),
            (200, "application/geo+json"): _FEATURE_COLLECTION,
        },
    )
)
class SlumAreaViewSet(_RowsViewSet):
    """Slum areas (kawasan kumuh) as GeoJSON Features with their yearly measures (public).
    `?format=geojson` gives the whole set as one FeatureCollection (WGS84)."""

    serializer_class = SlumAreaFeatureSerializer
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, GeoJSONRenderer]

    def get_queryset(self) -> QuerySet:
        from bkm.models import SlumArea

        qs = SlumArea.objects.only("pk").order_by("kelurahan__kecamatan__name", "kelurahan__name", "name", "pk")
        if self.action == "list":
            if kec := _int_param(self.request, "kecamatan"):
                qs = qs.filter(kelurahan__kecamatan_id=kec)
            if kel := _int_param(self.request, "kelurahan"):
                qs = qs.filter(kelurahan_id=kel)
        return qs

    def rows(self, ids: list[int]) -> list[dict[str, Any]]:
        from public.selectors import slum_area_features

        return slum_area_features(ids=ids)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("bkm", OpenApiTypes.INT, description="ID BKM"),
            OpenApiParameter("year", OpenApiTypes.INT, description="Tahun rencana"),
        ]
    )
)
class RPLPItemViewSet(_RowsViewSet):
    """RPLP plan items of the BKMs with their status (planned, proposed, approved, done) (public)."""

    serializer_class = RPLPItemPublicSerializer

    def get_queryset(self) -> QuerySet:
        from bkm.models import RPLPItem

        qs = RPLPItem.objects.only("pk").order_by("bkm__name", "year", "aspect", "title", "pk")
        if self.action == "list":
            if bkm := _int_param(self.request, "bkm"):
                qs = qs.filter(bkm_id=bkm)
            if year := _int_param(self.request, "year", low=1900, high=2200):
                qs = qs.filter(year=year)
        return qs

    def rows(self, ids: list[int]) -> list[dict[str, Any]]:
        from public.selectors import rplp_items

        order = {pk: n for n, pk in enumerate(ids)}
        return sorted(rplp_items(ids=ids), key=lambda r: order[r["id"]])


def api_docs(request: Any) -> Any:
    """Swagger UI from static/vendor (no CDN), started by static/js/api-docs.js (no inline script)."""
    return render(request, "reports/api_docs.html")
