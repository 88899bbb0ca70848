import pytest
from django.urls import reverse

from upk.models import Account

pytestmark = pytest.mark.django_db


def test_account_admin_keeps_role_and_kind_of_existing_accounts(admin_client, upk):
    account = Account.objects.filter(upk=upk).exclude(role="").first()
    url = reverse("admin:upk_account_change", args=[account.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 'name="role"' not in response.content.decode()
    role, kind = account.role, account.kind
    admin_client.post(
        url, {"code": account.code, "name": "Nama baru", "role": "", "kind": "expense", "is_active": "on"}
    )
    account.refresh_from_db()
    assert (account.role, account.kind) == (role, kind)
    assert account.name == "Nama baru"
