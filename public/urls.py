from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("bkm/<int:pk>/", views.bkm_page, name="bkm"),
    path("upk/", views.upk_bands, name="upk"),
    path("peta.json", views.map_data, name="map_data"),
    path("dokumen/<int:pk>/unduh/", views.document_download, name="document_download"),
]
