import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from bkm import services
from bkm.models import ProposalEvent
from tests.factories import ProposalFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_proposal_transition_two_staff_at_once_move_it_once():
    staff = UserFactory(role="staff_admin")
    proposal = ProposalFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def move() -> None:
        try:
            barrier.wait()
            services.proposal_transition(proposal_id=proposal.pk, to_status="dibahas", actor=staff, note="rapat")
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=move) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The row lock makes the second one see "dibahas" and refuse the step.
    assert sorted(outcomes) == ["ok", "refused"]
    assert ProposalEvent.objects.filter(proposal=proposal, to_status="dibahas").count() == 1
