"""Demo users, one per role, with a shared password printed by `make run`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Role, User

DEMO_PASSWORD = "palangka2026"
DEMO_USERNAMES = ("admin", "staf", "peninjau", "manajer", "koordinator", "anggota", "anggota2")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


def seed_users(*, bkms: list[Any]) -> list[DemoLogin]:
    """Create the demo logins; bind the manager and members to the first BKM
    (the registry's demo calls this with its BKMs: `core` imports no app)."""
    first = bkms[0]
    second = bkms[1]
    upk = first.units.get(unit_type="upk")
    specs: list[tuple[str, Role, str, dict[str, Any]]] = [  # usernames as in DEMO_USERNAMES
        ("admin", Role.SYSADMIN, "Administrator sistem", {"is_superuser": True, "is_staff": True}),
        ("staf", Role.STAFF_ADMIN, "Staf Bappedalitbang (admin)", {"is_staff": True}),
        ("peninjau", Role.STAFF_VIEWER, "Staf Bappedalitbang (peninjau)", {}),
        ("manajer", Role.UPK_MANAGER, f"Manajer UPK {first.name}", {}),
        ("koordinator", Role.BKM_MEMBER, f"Koordinator {first.name}", {"bkm": first, "is_coordinator": True}),
        ("anggota", Role.BKM_MEMBER, f"Anggota {first.name}", {"bkm": first}),
        ("anggota2", Role.BKM_MEMBER, f"Anggota {second.name}", {"bkm": second}),
    ]
    logins = []
    for username, role, description, extra in specs:
        first_name, _, last_name = description.partition(" ")
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@demo.palangkaraya.go.id",
                **extra,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        if role == Role.UPK_MANAGER:
            user.upk_units.set([upk])
        logins.append(DemoLogin(username, str(role.label), description))
    return logins


def demo_logins() -> list[DemoLogin]:
    """The demo logins as they are in the database, in the order `seed_users` makes them."""
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    return [
        DemoLogin(name, str(users[name].get_role_display()), users[name].get_full_name())
        for name in DEMO_USERNAMES
        if name in users
    ]
