"""Demo data of the reports app: staff subscribed to the scheduled reports."""

from __future__ import annotations

import random

from core.models import User

from .models import ReportSubscription
from .registry import CITY_MONTHLY_REPORT


def seed(*, rng: random.Random, scale: str) -> None:
    for username in ("staf", "peninjau"):
        user = User.objects.filter(username=username).first()
        if user:
            for report_type in (CITY_MONTHLY_REPORT, "kolaborasi"):
                ReportSubscription.objects.get_or_create(user=user, report_type=report_type)
