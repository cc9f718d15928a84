"""Notes with attachments posted while their lead (or opportunity) is deleted: none outlives
its record.

Each round posts several notes (each with a file) through the lead form's view, all at once,
and deletes the lead through its Delete command a few milliseconds later, as a salesperson
double-posting in one tab while a manager deletes the lead in another would. A note either
commits before the delete (and is deleted with the lead, its file with it), or waits for the
delete and is refused: no timeline row and no file is ever left behind.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from crm.models import Opportunity, TimelineEntry
from crm.services.deletion import records_delete
from crm.services.timeline import (
    TIMELINE_RECORD_GONE,
    TimelineRecordGoneError,
    timeline_note_add,
)
from leads.models import Lead
from tests.concurrency.tools import POSTGRES_ONLY, run_together
from tests.factories import LeadFactory, OpportunityFactory, UserFactory

pytestmark = POSTGRES_ONLY

ROUNDS = 30
NOTES_PER_ROUND = 8
NOTE_REFUSED = TIMELINE_RECORD_GONE.format(record="lead")


def _note_post(client: Client, lead_id: int, n: int) -> Callable[[], str]:
    def post() -> str:
        response = client.post(
            reverse("leads:lead-note-add", args=[lead_id]),
            {
                "note-title": f"Call {n}",
                "note-body": "Left a message.",
                "note-attachment": SimpleUploadedFile(f"quote-{n}.pdf", b"%PDF-1.4 " * 200),
            },
        )
        if response.status_code == 302:
            return "added"
        if response.status_code == 404:
            return "lead already gone"
        assert response.status_code == 200, response.status_code
        assert NOTE_REFUSED in response.content.decode()
        return "refused"

    return post


def _delete_post(client: Client, lead_id: int, delay: float) -> Callable[[], str]:
    def post() -> str:
        time.sleep(delay)
        response = client.post(reverse("leads:lead-delete", args=[lead_id]))
        assert response.status_code == 302 and response["Location"] == reverse("leads:lead-list")
        return "deleted"

    return post


def _orphans(model: type[Lead | Opportunity]) -> tuple[int, int]:
    """Timeline rows of `model` (every record of it was deleted) and files left on disk."""
    rows = TimelineEntry.objects.filter(content_type=ContentType.objects.get_for_model(model))
    root = Path(settings.MEDIA_ROOT)
    files = [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
    return rows.count(), len(files)


def test_notes_racing_a_delete_leave_no_orphan_row_and_no_orphan_file(capsys):
    owner = UserFactory(salesperson=True)
    clients = []
    for _ in range(NOTES_PER_ROUND + 1):
        client = Client()
        client.force_login(owner)
        clients.append(client)
    outcomes: Counter[str] = Counter()

    for round_number in range(ROUNDS):
        lead = LeadFactory(owner=owner)
        # The delete lands at a different moment of the notes' requests in each round.
        delay = (round_number % 6) * 0.01
        calls = [_note_post(clients[n], lead.pk, n) for n in range(NOTES_PER_ROUND)]
        results = run_together(*calls, _delete_post(clients[-1], lead.pk, delay))
        for result in results:
            assert result.error is None, repr(result.error)
            outcomes[result.value] += 1

    orphan_rows, orphan_files = _orphans(Lead)
    with capsys.disabled():
        print(
            f"\n{ROUNDS} rounds of {NOTES_PER_ROUND} note posts racing a delete: "
            f"{outcomes['added']} notes added before the delete (deleted with their lead), "
            f"{outcomes['refused']} refused while it ran, {outcomes['lead already gone']} after; "
            f"{outcomes['deleted']} leads deleted; orphan timeline rows {orphan_rows}, "
            f"orphan files {orphan_files}"
        )
    assert outcomes["deleted"] == ROUNDS
    assert not Lead.objects.exists()
    assert (orphan_rows, orphan_files) == (0, 0)
    # The race was real: notes landed on both sides of the delete.
    assert outcomes["added"] > 0
    assert outcomes["refused"] + outcomes["lead already gone"] > 0


def test_opportunity_notes_racing_its_delete_leave_no_orphan(capsys):
    """The same for an opportunity deleted in Django admin (crm.services.deletion), which
    takes the opportunity's row lock as its notes do."""
    admin = UserFactory(admin=True)
    outcomes: Counter[str] = Counter()

    def note(opportunity: Opportunity, n: int) -> Callable[[], str]:
        def add() -> str:
            try:
                timeline_note_add(
                    record=opportunity,
                    author=admin,
                    title=f"Call {n}",
                    body="",
                    attachment=SimpleUploadedFile(f"offer-{n}.pdf", b"%PDF-1.4 " * 200),
                )
            except TimelineRecordGoneError:
                return "refused"
            return "added"

        return add

    def delete(opportunity: Opportunity, delay: float) -> Callable[[], str]:
        def run() -> str:
            time.sleep(delay)
            assert records_delete(records=[opportunity], acting_user=admin) == 1
            return "deleted"

        return run

    for round_number in range(ROUNDS):
        opportunity = OpportunityFactory(owner=admin)
        delay = (round_number % 6) * 0.005
        calls = [note(opportunity, n) for n in range(NOTES_PER_ROUND)]
        for result in run_together(*calls, delete(opportunity, delay)):
            assert result.error is None, repr(result.error)
            outcomes[result.value] += 1

    orphan_rows, orphan_files = _orphans(Opportunity)
    with capsys.disabled():
        print(
            f"\n{ROUNDS} rounds of {NOTES_PER_ROUND} opportunity notes racing its delete: "
            f"{outcomes['added']} added before the delete, {outcomes['refused']} refused; "
            f"orphan timeline rows {orphan_rows}, orphan files {orphan_files}"
        )
    assert outcomes["deleted"] == ROUNDS
    assert not Opportunity.objects.exists()
    assert (orphan_rows, orphan_files) == (0, 0)
    assert outcomes["added"] > 0 and outcomes["refused"] > 0
