"""Open-data API under /api/.

Extension point: after the merge, the ledger and forum register their
read-only viewsets on `router` here (aggregated UPK indicators per month,
meetings), subclassing `reports.api.views.OpenDataViewSet` for paging and CSV.
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

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", views.api_docs, name="api-docs"),
    path("", include(router.urls)),
]
