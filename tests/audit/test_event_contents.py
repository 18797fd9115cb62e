"""What every audit event stores: server UTC time, actor, printed name, and the chain links."""

import datetime

import pytest
from django.utils import timezone

from editorial.audit import verify_chain
from editorial.models import GENESIS_HASH, AuditChainHead, AuditEvent
from tests.audit.builders import full_review, withdrawn_draft
from tests.factories import BODY, PASSWORD, REFERENCES, sign_decision

pytestmark = pytest.mark.django_db


def assert_now(moment):
    assert moment.utcoffset() == datetime.timedelta(0)
    assert abs(timezone.now() - moment) < datetime.timedelta(seconds=2)


def test_every_event_has_server_utc_time_actor_and_chain_links(author, other_author, editor, board, board2):
    full_review(author, editor, board, board2)
    withdrawn_draft(other_author, title="Is aspirin safe every day?")
    events = list(AuditEvent.objects.select_related("actor").order_by("seq"))
    assert len(events) == 19
    expected_actor = {
        "article.create": {author, other_author}, "revision.create": {author}, "article.submit": {author},
        "assignment.create": {editor}, "conflict.declare": {board, board2}, "article.start_review": {editor},
        "decision.signature_failed": {board}, "decision.request_changes": {board},
        "article.request_changes": {board}, "article.revise": {author}, "decision.approve": {board2},
        "article.approve": {board2}, "article.withdraw": {other_author},
    }  # fmt: skip
    previous_hash = GENESIS_HASH
    for n, event in enumerate(events, start=1):
        assert event.seq == n
        assert_now(event.at)
        assert event.actor in expected_actor[event.action], event
        assert event.actor_name, event
        assert event.object_type and event.object_id
        assert event.prev_hash == previous_hash, f"event {n} does not link to event {n - 1}"
        assert event.hash == event.compute_hash() and len(event.hash) == 64
        previous_hash = event.hash
    assert len({e.hash for e in events}) == len(events)
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    assert verify_chain().ok


def test_board_events_carry_the_members_printed_name(author, editor, board, board2):
    full_review(author, editor, board, board2)
    approval = AuditEvent.objects.get(action="decision.approve")
    assert approval.actor_name == board2.board_profile.display_name
    assert approval.after["signed_name"] == board2.board_profile.display_name
    assert approval.after["meaning"]
    signed_at = datetime.datetime.fromisoformat(approval.after["signed_at"])
    assert_now(signed_at)


def test_the_printed_name_is_a_snapshot(author):
    withdrawn_draft(author)
    name_then = AuditEvent.objects.get(action="article.create").actor_name
    author.first_name, author.last_name = "Renamed", "Later"
    author.save()
    event = AuditEvent.objects.get(action="article.create")
    assert event.actor_name == name_then != "Renamed Later"
    assert verify_chain().ok


def test_events_of_a_fresh_chain_start_at_seq_1_from_the_genesis_hash(author):
    withdrawn_draft(author)
    first = AuditEvent.objects.get(seq=1)
    assert first.prev_hash == GENESIS_HASH
    assert AuditEvent.objects.get(seq=2).prev_hash == first.hash


def test_client_supplied_times_are_ignored(api, author, editor, board):
    """RELIABILITY.md §1, test 6: a past timestamp sent by the client never reaches the trail."""
    past = "2001-01-01T00:00:00Z"
    api.as_user(author)
    created = api.post(
        "/api/v1/articles/",
        {"title": "Do statins work?", "body": BODY, "references": REFERENCES, "at": past, "created_at": past,
         "timestamp": past},
        format="json",
    )  # fmt: skip
    assert created.status_code in (201, 400), created.content
    if created.status_code == 400:  # unknown fields refused: then nothing at all was recorded
        assert not AuditEvent.objects.exists()
        created = api.post("/api/v1/articles/", {"title": "Do statins work?", "body": BODY,
                                                 "references": REFERENCES}, format="json")  # fmt: skip
    url = f"/api/v1/articles/{created.json()['id']}/"
    submitted = api.post(url + "transitions/submit/", {"comment": "Ready", "at": past, "signed_at": past},
                         format="json")  # fmt: skip
    assert submitted.status_code == 200, submitted.content
    for event in AuditEvent.objects.all():
        assert_now(event.at)
        assert event.at.year != 2001
        assert "2001-01-01" not in str(event.after)


def test_a_wrong_signature_is_audited_but_nothing_else_is(author, editor, board):
    from editorial.exceptions import Forbidden
    from tests.factories import reviewed_article

    article = reviewed_article(author, editor, [board])
    before = AuditEvent.objects.count()
    with pytest.raises(Forbidden):
        sign_decision(article, verdict="approve", actor=board, password=PASSWORD + "x")
    new = list(AuditEvent.objects.filter(seq__gt=before))
    assert [e.action for e in new] == ["decision.signature_failed"]
    assert new[0].actor == board
    assert_now(new[0].at)
    assert verify_chain().ok
