from __future__ import annotations

from typing import Any

from rest_framework import serializers

from bkm.models import BKM, Kecamatan, Kelurahan, Proposal
from reports.selectors import indicator_columns


class KecamatanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Kecamatan
        fields = ["id", "code", "name", "capital", "area_km2"]


class KelurahanSerializer(serializers.ModelSerializer):
    kecamatan_name = serializers.CharField(source="kecamatan.name", read_only=True)

    class Meta:
        model = Kelurahan
        fields = ["id", "code", "name", "kecamatan", "kecamatan_name"]


class BKMPublicSerializer(serializers.ModelSerializer):
    """Public fields only: no phone, email, bank or legal details."""

    kelurahan_name = serializers.CharField(source="kelurahan.name", read_only=True)
    kecamatan = serializers.IntegerField(source="kelurahan.kecamatan_id", read_only=True)
    kecamatan_name = serializers.CharField(source="kelurahan.kecamatan.name", read_only=True)

    class Meta:
        model = BKM
        fields = ["id", "name", "status", "kelurahan", "kelurahan_name", "kecamatan", "kecamatan_name", "date_formed"]


class ProposalSerializer(serializers.ModelSerializer):
    bkm_name = serializers.CharField(source="bkm.name", read_only=True)
    opd_name = serializers.CharField(source="opd.name", read_only=True)
    kelurahan_name = serializers.CharField(source="kelurahan.name", read_only=True)
    kecamatan = serializers.IntegerField(source="kelurahan.kecamatan_id", read_only=True)
    # Whole Rupiah as integers (never floats, never strings) for the open-data portal.
    budget_proposed = serializers.IntegerField(read_only=True)
    budget_approved = serializers.IntegerField(read_only=True, allow_null=True)
    status = serializers.CharField(
        read_only=True, help_text="diusulkan, dibahas, disetujui, ditolak, dilaksanakan, selesai"
    )

    class Meta:
        model = Proposal
        fields = [
            "id",
            "title",
            "programme",
            "bkm",
            "bkm_name",
            "opd",
            "opd_name",
            "kelurahan",
            "kelurahan_name",
            "kecamatan",
            "year",
            "budget_proposed",
            "budget_approved",
            "funding_source",
            "status",
        ]


class MeetingPublicSerializer(serializers.Serializer):
    """A forum meeting's public fields: no minutes, online link, attendees or RSVPs."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    agenda = serializers.CharField(read_only=True)
    starts_at = serializers.DateTimeField(read_only=True)
    ends_at = serializers.DateTimeField(read_only=True, allow_null=True)
    place = serializers.CharField(read_only=True)
    invited_bkms = serializers.SerializerMethodField()
    decisions = serializers.IntegerField(source="n_decisions", read_only=True)

    def get_invited_bkms(self, obj: Any) -> list[int]:
        return sorted(b.pk for b in obj.invited_bkms.all())


BAND_CHOICES = ["sehat", "kurang_sehat", "tidak_sehat"]
# The one indicator list (upk.selectors.INDICATORS via reports.selectors.indicator_columns): a
# new indicator reaches the API, the city report and the dashboard together.
INDICATOR_CODES = tuple(c.code for c in indicator_columns())


class _UpkIndicatorBase(serializers.Serializer):
    upk = serializers.IntegerField(read_only=True)
    bkm = serializers.IntegerField(read_only=True)
    bkm_name = serializers.CharField(read_only=True)
    kecamatan = serializers.IntegerField(read_only=True)
    kecamatan_name = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True, help_text="TTTT-BB")
    as_of = serializers.DateField(read_only=True)
    # Whole Rupiah as integers.
    outstanding = serializers.IntegerField(read_only=True)
    active_ksm = serializers.IntegerField(read_only=True)


def _indicator_fields() -> dict[str, Any]:
    """`<code>` (%, two decimals) and `<code>_band` for each indicator of the one list."""
    fields: dict[str, Any] = {}
    for column in indicator_columns():
        fields[column.code] = serializers.DecimalField(
            max_digits=12,
            decimal_places=2,
            coerce_to_string=False,
            allow_null=True,
            read_only=True,
            help_text=f"{column.label} (%)",
        )
        fields[f"{column.code}_band"] = serializers.ChoiceField(BAND_CHOICES, allow_null=True, read_only=True)
    return fields


# Built with the serializer metaclass so the declared fields (and the OpenAPI schema) follow the list.
UpkIndicatorSerializer = type(
    "UpkIndicatorSerializer",
    (_UpkIndicatorBase,),
    {
        "__module__": __name__,
        "__doc__": "One UPK's aggregated indicators as of a month end (no borrower data): upk.selectors' figures.",
        **_indicator_fields(),
    },
)


# --- Public slum areas (GeoJSON) and RPLP items (issue 15): the fields come from public.fields ----------


class SlumMeasurePublicSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    building = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    roads = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    drainage = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    drinking_water = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    wastewater = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    solid_waste = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    fire_protection = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    average = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)


class SlumAreaPropertiesSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    kelurahan = serializers.IntegerField(read_only=True)
    kelurahan_name = serializers.CharField(read_only=True)
    kecamatan = serializers.IntegerField(read_only=True)
    sk_number = serializers.CharField(read_only=True)
    sk_year = serializers.IntegerField(read_only=True)
    area_ha = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=False, read_only=True)
    typology = serializers.CharField(read_only=True)
    geometry_source = serializers.CharField(
        read_only=True, help_text="unggahan, demo (buatan, bukan peta resmi), kosong"
    )
    measures = SlumMeasurePublicSerializer(many=True, read_only=True)
    latest_average = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True, read_only=True
    )


class SlumAreaFeatureSerializer(serializers.Serializer):
    """A slum area as a GeoJSON Feature (RFC 7946, WGS84): its delineation as a MultiPolygon (or null)."""

    type = serializers.CharField(read_only=True, help_text="Feature")
    id = serializers.IntegerField(read_only=True)
    geometry = serializers.JSONField(read_only=True, allow_null=True, help_text="GeoJSON MultiPolygon, WGS84")
    properties = SlumAreaPropertiesSerializer(read_only=True)


class RPLPMeasureSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    value = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)


class RPLPItemPublicSerializer(serializers.Serializer):
    """An RPLP item, public fields, with its derived status and that aspect's later measures."""

    id = serializers.IntegerField(read_only=True)
    bkm = serializers.IntegerField(source="bkm_id", read_only=True)
    bkm_name = serializers.CharField(source="bkm__name", read_only=True)
    aspect = serializers.CharField(read_only=True)
    year = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    slum_area = serializers.IntegerField(source="slum_area_id", read_only=True, allow_null=True)
    volume = serializers.CharField(read_only=True)
    budget = serializers.IntegerField(read_only=True, help_text="Rupiah bulat")
    funding_source = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="direncanakan, diusulkan, disetujui, selesai")
    measures_after = RPLPMeasureSerializer(many=True, read_only=True)
