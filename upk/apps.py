from django.apps import AppConfig


class UpkConfig(AppConfig):
    name = "upk"
