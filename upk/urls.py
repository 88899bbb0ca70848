from django.urls import path

from . import views, views_field, views_import, views_offline, views_registry, views_settings

app_name = "upk"

urlpatterns = [
    path("", views.upk_list, name="list"),
    path("persetujuan/", views.approvals, name="approvals"),
    path("<int:upk_id>/", views.upk_home, name="home"),
    # KSM
    path("<int:upk_id>/ksm/", views.ksm_list, name="ksm_list"),
    path("<int:upk_id>/ksm/baru/", views.ksm_create, name="ksm_create"),
    path("ksm/<int:pk>/", views.ksm_detail, name="ksm_detail"),
    path("ksm/<int:pk>/anggota/baru/", views.member_add, name="member_add"),
    path("ksm/<int:pk>/ubah/", views_registry.ksm_edit, name="ksm_edit"),
    path("ksm/<int:pk>/status/", views_registry.ksm_active, name="ksm_active"),
    path("ksm/<int:pk>/riwayat/", views_registry.ksm_history, name="ksm_history"),
    path("ksm/<int:pk>/ketua/", views_field.ksm_chair, name="ksm_chair"),
    path("anggota/<int:pk>/ubah/", views_registry.member_edit, name="member_edit"),
    path("anggota/<int:pk>/status/", views_registry.member_active, name="member_active"),
    path("ksm/<int:pk>/tabungan/", views.savings_create, name="savings"),
    # Loans
    path("<int:upk_id>/pinjaman/", views.loan_list, name="loan_list"),
    path("<int:upk_id>/pinjaman/ajukan/", views.loan_apply, name="loan_apply"),
    path("pinjaman/<int:pk>/", views.loan_card, name="loan_card"),
    path("pinjaman/<int:pk>/putusan/", views.loan_decide, name="loan_decide"),
    path("pinjaman/<int:pk>/cairkan/", views.loan_disburse, name="loan_disburse"),
    path("pinjaman/<int:pk>/bayar/", views.repayment_create, name="repayment"),
    path("pinjaman/<int:pk>/tanggung-renteng/", views.savings_cover, name="savings_cover"),
    path("pinjaman/<int:pk>/jadwal-ulang/", views.reschedule_propose, name="reschedule"),
    path("pinjaman/<int:pk>/hapus-buku/", views.writeoff_propose, name="writeoff"),
    path("pinjaman/<int:pk>/pemulihan/", views.recovery_create, name="recovery"),
    path("jadwal-ulang/<int:pk>/putusan/", views.reschedule_decide, name="reschedule_decide"),
    path("hapus-buku/<int:pk>/putusan/", views.writeoff_decide, name="writeoff_decide"),
    path("angsuran/<int:pk>/kuitansi.pdf", views.receipt_pdf, name="receipt"),
    path("angsuran/<int:pk>/kuitansi/", views_field.receipt_page, name="receipt_page"),
    # The receipt link sent to the KSM chair by WhatsApp: no login, a signed expiring token.
    path("kuitansi/<str:token>/", views_field.receipt_shared, name="receipt_shared"),
    path("angsuran/<int:pk>/batal/", views.repayment_reverse, name="reverse"),
    # Collection sheet
    path("<int:upk_id>/penagihan/", views.collection_sheet, name="collection_sheet"),
    path("<int:upk_id>/penagihan/<int:sheet_id>/", views.collection_sheet_done, name="collection_sheet_done"),
    path("<int:upk_id>/penagihan/bagi/<int:loan_id>/", views_field.collection_split, name="collection_split"),
    # Offline collection (the service worker keeps the page; its pattern is in templates/pwa/sw.js)
    path("<int:upk_id>/penagihan/luring/", views_offline.collect_offline, name="collect_offline"),
    path("<int:upk_id>/penagihan/luring/data/", views_offline.offline_sheets, name="offline_sheets"),
    path("<int:upk_id>/penagihan/luring/kirim/", views_offline.offline_sync, name="offline_sync"),
    # Money in/out, reserve, year end
    path("<int:upk_id>/kas/<str:direction>/", views.cash_voucher, name="cash_voucher"),
    path("<int:upk_id>/modal/", views.capital_create, name="capital"),
    path("<int:upk_id>/cadangan/", views.reserve_adjust, name="reserve"),
    path("<int:upk_id>/tutup-buku/", views.year_end, name="year_end"),
    # Periods and reports
    path("<int:upk_id>/bulan/", views.periods, name="periods"),
    path("<int:upk_id>/laporan-bulanan/", views.monthly_package, name="package"),
    # Books
    path("<int:upk_id>/jurnal/", views.journal, name="journal"),
    path("<int:upk_id>/buku-kas/", views.cash_book, name="cash_book"),
    path("<int:upk_id>/buku-besar/<int:account_id>/", views.general_ledger, name="general_ledger"),
    path("<int:upk_id>/neraca-saldo/", views.trial_balance, name="trial_balance"),
    path("<int:upk_id>/neraca/", views.neraca, name="neraca"),
    path("<int:upk_id>/laba-rugi/", views.laba_rugi, name="laba_rugi"),
    # Configuration: products, rules, chart of accounts
    path("<int:upk_id>/produk/", views_settings.products, name="products"),
    path("<int:upk_id>/produk/baru/", views_settings.product_create, name="product_create"),
    path("<int:upk_id>/produk/<int:pk>/", views_settings.product_edit, name="product_edit"),
    path("<int:upk_id>/aturan/", views_settings.rules, name="rules"),
    path("aturan/usulan/<int:pk>/putusan/", views_settings.rules_decide, name="rules_decide"),
    path("<int:upk_id>/akun/", views_settings.accounts, name="accounts"),
    path("<int:upk_id>/akun/baru/", views_settings.account_create, name="account_create"),
    path("<int:upk_id>/akun/<int:pk>/", views_settings.account_rename, name="account_rename"),
    # Import
    path("impor/template.xlsx", views_import.template_download, name="import_template"),
    path("<int:upk_id>/impor/", views_import.import_start, name="import"),
    path("impor/<int:job_id>/", views_import.import_status, name="import_status"),
]
