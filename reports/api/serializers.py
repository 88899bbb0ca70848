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
