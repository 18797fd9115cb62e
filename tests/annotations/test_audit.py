"""Every annotation write leaves exactly one audit event of its own; refusals leave none."""

import pytest

from editorial.audit import verify_chain
from editorial.models import AuditEvent
from tests.annotations.helpers import ann_url, created, url

pytestmark = pytest.mark.django_db

EARLY = "Statins lower LDL cholesterol"


def new_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("pk"))


def last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_each_write_records_one_event(api, build, board, author, editor):
    article = build("changes_requested")
    api.as_user(board)

    mark = last_pk()
    made = created(
        api, article, EARLY, kind="suggestion", suggestion="Statins reduce LDL cholesterol", body="Be precise."
    )
    [event] = new_events(mark)
    assert (event.action, event.actor.username, event.article_id) == ("annotation.create", "board1", article.pk)
    assert event.after["revision"] == 1 and event.after["exact"] == EARLY and event.after["body"] == "Be precise."

    mark = last_pk()
    reply = api.as_user(author).post(ann_url(article, made["id"], "replies/"), {"body": "Agreed."}, format="json")
    assert reply.status_code == 201
    [event] = new_events(mark)
    assert (event.action, event.actor.username) == ("annotation.reply", "author")
    assert event.after == {"annotation": made["id"], "body": "Agreed."}

    mark = last_pk()
    assert api.post(ann_url(article, made["id"], "resolve/"), {"body": "Will do."}, format="json").status_code == 200
    [event] = new_events(mark)
    assert (event.action, event.before["status"], event.after["status"]) == ("annotation.resolve", "open", "resolved")
    assert event.reason == "Will do."

    mark = last_pk()
    assert api.as_user(editor).post(ann_url(article, made["id"], "reopen/"), {}, format="json").status_code == 200
    [event] = new_events(mark)
    assert (event.action, event.actor.username, event.after["status"]) == ("annotation.reopen", "editor", "open")

    mark = last_pk()
    assert api.as_user(author).post(ann_url(article, made["id"], "accept/")).status_code == 200
    events = new_events(mark)
    actions = [e.action for e in events]
    assert actions.count("annotation.accept") == 1
    # Accepting also makes a revision, which is audited on its own.
    assert sorted(actions) == ["annotation.accept", "revision.create"]
    accept = next(e for e in events if e.action == "annotation.accept")
    assert accept.after["revision"] == 2 and accept.after["status"] == "resolved"

    assert verify_chain().ok


def test_refusals_record_nothing(api, article, board, board2, auditor):
    made = created(api.as_user(board), article, EARLY)
    mark = last_pk()
    api.as_user(auditor).post(ann_url(article, made["id"], "replies/"), {"body": "x"}, format="json")
    api.as_user(board2).post(ann_url(article, made["id"], "resolve/"), {}, format="json")
    api.as_user(board).post(ann_url(article, made["id"], "accept/"))
    missing = {"selector": [{"type": "TextQuoteSelector", "exact": "not there"}]}
    payload = {"revision": 1, "kind": "comment", "body": "x", "target": missing}
    assert api.post(url(article, "annotations/"), payload, format="json").status_code == 400
    assert new_events(mark) == []


def test_the_audit_trail_of_the_article_lists_annotation_events(api, article, board, editor):
    made = created(api.as_user(board), article, EARLY)
    api.post(ann_url(article, made["id"], "replies/"), {"body": "More."}, format="json")
    events = (
        api.as_user(editor)
        .get(f"/api/v1/audit/events/?article={article.pk}&action=annotation.create,annotation.reply")
        .json()["results"]
    )
    assert [e["action"] for e in events] == ["annotation.create", "annotation.reply"]
