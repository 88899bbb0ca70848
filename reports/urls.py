from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("minta/", views.request_choose, name="request_choose"),
    path("minta/<slug:report_type>/", views.request_form, name="request_form"),
    path("<int:pk>/", views.run_detail, name="run_detail"),
    path("<int:pk>/status/", views.run_status, name="run_status"),
    path("<int:pk>/unduh/", views.run_download, name="run_download"),
    path("langganan/<slug:report_type>/", views.subscription_toggle, name="subscription_toggle"),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("dasbor/peringatan/", views.dashboard_warnings, name="dashboard_warnings"),
    path("peringatan/", views.warning_list, name="warning_list"),
    path("peringatan/tanggapi/", views.warning_acknowledge_view, name="warning_acknowledge"),
]
