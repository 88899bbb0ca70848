app_name = "upk"

urlpatterns: list = []
