from django.apps import AppConfig


class BkmConfig(AppConfig):
    name = "bkm"
