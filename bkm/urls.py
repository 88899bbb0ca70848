app_name = "bkm"

urlpatterns: list = []
