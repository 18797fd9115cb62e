"""Retracting the live version by hand, and automatically when an unapproved live version is rejected or withdrawn."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import PublishedVersion
from editorial.models import AuditEvent, Notification
from editorial.services import articles as article_services
from editorial.services import workflow
from tests.factories import PASSWORD, reviewed_article, sign_decision

from .helpers import fresh, publish, transition, url, versions

pytestmark = pytest.mark.django_db


def _retract(api, article, **data):
    return api.post(url(article, "retract/"), data, format="json")


@pytest.fixture
def live(api, author, editor, board, run_async):
    """An approved article with v1 live."""
    article = reviewed_article(author, editor, [board], state="approved")
    with run_async():
        assert publish(api.as_user(editor), article).status_code == 202
    api.credentials()
    return fresh(article)


def test_editor_retracts_with_a_reason(api, editor, live, run_async):
    with run_async():
        response = _retract(api.as_user(editor), live, reason="Dosage table was wrong")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["number"] == 1 and body["retraction_reason"] == "Dosage table was wrong"
    assert abs(parse_datetime(body["retracted_at"]) - timezone.now()) < datetime.timedelta(minutes=1)
    assert fresh(live).live_version_id is None
    [v1] = versions(api, live)
    assert v1["retracted_at"] == body["retracted_at"] and v1["retraction_reason"] == "Dosage table was wrong"
    version = PublishedVersion.objects.get(article=live, number=1)
    assert version.retracted_by == editor
    event = AuditEvent.objects.get(action="version.retract", article_id=live.pk)
    assert event.actor == editor and event.reason == "Dosage table was wrong"
    # The author is told; the editor who did it is not.
    assert list(Notification.objects.filter(kind="retracted").values_list("recipient__username", flat=True)) == [
        "author"
    ]
    # Nothing is live any more.
    again = _retract(api, live, reason="Twice")
    assert again.status_code == 409


def test_retracting_v2_does_not_bring_v1_back(api, author, editor, board, live, run_async):
    workflow.revise_article(live, actor=author)
    article_services.edit_article(fresh(live), actor=author, body="Statins [1]; trials [2]; v2.")
    workflow.submit_article(fresh(live), actor=author)
    workflow.start_review(fresh(live), actor=editor)
    sign_decision(fresh(live), verdict="approve", actor=board, password=PASSWORD)
    with run_async():
        assert publish(api.as_user(editor), live).status_code == 202
    assert fresh(live).live_version.number == 2
    assert _retract(api, live, reason="Withdrawn by the publisher").status_code == 200
    listed = versions(api, live)
    assert [(v["number"], v["retracted_at"] is None) for v in listed] == [(1, True), (2, False)]
    assert fresh(live).live_version_id is None


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_retract_without_a_reason_is_400(api, editor, live, data):
    response = _retract(api.as_user(editor), live, **data)
    assert response.status_code == 400, response.json()
    assert fresh(live).live_version.number == 1
    assert not AuditEvent.objects.filter(action="version.retract").exists()


def test_retract_with_nothing_live_is_409(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved")
    response = _retract(api.as_user(editor), article, reason="Nothing to take down")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "nothing_live"


@pytest.mark.parametrize(("who", "status"), [("author", 403), ("board", 403), ("auditor", 403),
                                             ("other_author", 404), (None, 401)])  # fmt: skip
def test_only_editors_may_retract(api, request, live, who, status):
    if who:
        api.as_user(request.getfixturevalue(who))
    events = AuditEvent.objects.count()
    for data in ({"reason": "I want it gone"}, {}):  # 403 also comes before 400
        response = _retract(api, live, **data)
        assert response.status_code == status, response.content
    assert fresh(live).live_version.number == 1
    assert PublishedVersion.objects.get(article=live).retracted_at is None
    assert AuditEvent.objects.count() == events


def _live_unapproved(api, author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate")
    with run_async():
        assert publish(api.as_user(editor), article).status_code == 202
    assert versions(api, article)[0]["review_status"] == "under_review"
    return fresh(article)


def test_rejecting_an_article_with_an_unapproved_live_version_retracts_it(api, author, editor, board, run_async):
    article = _live_unapproved(api, author, editor, board, run_async)
    with run_async():
        response = transition(api.as_user(board), article, "reject", password=PASSWORD, comment="Not safe")
    assert response.status_code == 200, response.json()
    article = fresh(article)
    assert article.state == "rejected" and article.live_version_id is None
    version = PublishedVersion.objects.get(article=article)
    assert version.retracted_at is not None and version.retracted_by is None
    assert "Not safe" in version.retraction_reason
    event = AuditEvent.objects.get(action="version.retract", article_id=article.pk)
    assert event.actor_id is None and event.actor_name == ""
    assert "Not safe" in event.reason
    assert set(Notification.objects.filter(kind="retracted").values_list("recipient__username", flat=True)) == {
        "author",
        "editor",
    }


def test_withdrawing_an_article_with_an_unapproved_live_version_retracts_it(api, author, editor, board, run_async):
    article = _live_unapproved(api, author, editor, board, run_async)
    response = transition(api.as_user(author), article, "withdraw", comment="Out of date")
    assert response.status_code == 200, response.json()
    article = fresh(article)
    assert article.state == "withdrawn" and article.live_version_id is None
    [v1] = versions(api.as_user(editor), article)
    assert v1["retracted_at"] is not None and "Out of date" in v1["retraction_reason"]
    event = AuditEvent.objects.get(action="version.retract", article_id=article.pk)
    assert event.actor_id is None


def test_rejection_leaves_an_approved_live_version_alone(api, author, editor, board, run_async):
    """Immediate policy: v1 approved and live; revision 2 rejected. v1 was approved, so it stays up."""
    article = reviewed_article(author, editor, [board], state="approved", publication_policy="immediate")
    with run_async():
        assert publish(api.as_user(editor), article).status_code == 202
    workflow.revise_article(fresh(article), actor=author)
    article_services.edit_article(fresh(article), actor=author, body="Statins [1]; trials [2]; dubious change.")
    workflow.submit_article(fresh(article), actor=author)
    workflow.start_review(fresh(article), actor=editor)
    sign_decision(fresh(article), verdict="reject", actor=board, password=PASSWORD, comment="No")
    article = fresh(article)
    assert article.state == "rejected"
    assert article.live_version.number == 1 and article.live_version.retracted_at is None
    assert not AuditEvent.objects.filter(action="version.retract").exists()
