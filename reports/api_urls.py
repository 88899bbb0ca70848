"""Open-data API under /api/.

Every endpoint subclasses `reports.api.views.OpenDataViewSet` (paging, CSV).
Public: kecamatan, kelurahan, BKM public fields, slum areas (GeoJSON), RPLP items. Login or token: proposals,
forum meetings (public fields), aggregated UPK indicators per month.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from reports.api import views

router = DefaultRouter()
router.register("kecamatan", views.KecamatanViewSet, basename="kecamatan")
router.register("kelurahan", views.KelurahanViewSet, basename="kelurahan")
router.register("bkm", views.BKMViewSet, basename="bkm")
router.register("usulan", views.ProposalViewSet, basename="usulan")
router.register("pertemuan", views.MeetingViewSet, basename="pertemuan")
router.register("upk-indikator", views.UpkIndicatorViewSet, basename="upk-indikator")
router.register("kawasan-kumuh", views.SlumAreaViewSet, basename="kawasan-kumuh")
router.register("rplp", views.RPLPItemViewSet, basename="rplp")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", views.api_docs, name="api-docs"),
    path("", include(router.urls)),
]
