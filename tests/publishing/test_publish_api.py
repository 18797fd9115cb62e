"""POST/GET publish and GET versions, with the task run in-process after commit (the embedded default)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import PublishedVersion, PublishRequest
from editorial.models import AuditEvent, OutboxMessage
from editorial.services import articles as article_services
from editorial.services import workflow
from tests.factories import PASSWORD, reviewed_article, sign_decision

from .helpers import fresh, publish, transition, url, versions

pytestmark = pytest.mark.django_db


def test_editor_publishes_an_approved_article_and_the_version_appears_after_commit(
    api, author, editor, board, run_async
):
    article = reviewed_article(author, editor, [board], state="approved")
    api.as_user(editor)
    with run_async():
        response = publish(api, article)
        assert response.status_code == 202, response.json()
        body = response.json()
        assert body["status"] == "queued"
        assert body["revision"] == 1 and body["requested_by"] == "editor" and body["version"] is None
        # Not yet: the task runs once the transaction commits.
        assert not PublishedVersion.objects.filter(article=article).exists()

    listed = versions(api, article)
    assert len(listed) == 1
    v1 = listed[0]
    assert {k: v1[k] for k in ("number", "revision", "published_by", "review_status", "retracted_at")} == {
        "number": 1, "revision": 1, "published_by": "editor", "review_status": "approved", "retracted_at": None,
    }  # fmt: skip
    published_at = parse_datetime(v1["published_at"])
    assert published_at is not None and published_at.utcoffset() == datetime.timedelta(0)
    assert abs(timezone.now() - published_at) < datetime.timedelta(minutes=1)

    article = fresh(article)
    assert article.live_version.number == 1
    assert api.get(url(article)).status_code == 200
    requests = api.get(url(article, "publish/")).json()["results"]
    assert [(r["id"], r["status"], r["version"]) for r in requests] == [(body["id"], "done", 1)]
    assert AuditEvent.objects.filter(action="version.publish", article_id=article.pk).count() == 1


def test_publish_at_in_the_future_is_scheduled_and_makes_no_version(api, author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="approved")
    later = timezone.now() + datetime.timedelta(hours=2)
    with run_async():
        response = publish(api.as_user(editor), article, publish_at=later.isoformat())
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "scheduled"
    assert parse_datetime(response.json()["publish_at"]) == later
    assert versions(api, article) == []
    assert fresh(article).live_version_id is None
    assert not OutboxMessage.objects.filter(kind="publish").exists()


def test_publish_at_in_the_past_is_400_and_nothing_is_requested(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="approved")
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    response = publish(api.as_user(editor), article, publish_at=earlier.isoformat())
    assert response.status_code == 400, response.json()
    assert "publish_at" in response.json().get("errors", {})
    assert not PublishRequest.objects.exists()


def test_publishing_the_live_revision_again_is_409_already_live(api, author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="approved")
    api.as_user(editor)
    with run_async():
        assert publish(api, article).status_code == 202
    again = publish(api, article)
    assert again.status_code == 409
    assert again.json()["code"] == "already_live"
    explicit = publish(api, article, revision=1)
    assert explicit.status_code == 409 and explicit.json()["code"] == "already_live"
    assert PublishRequest.objects.filter(article=article).count() == 1
    assert len(versions(api, article)) == 1


@pytest.mark.parametrize("state", ["submitted", "under_review", "changes_requested"])
def test_after_approval_policy_refuses_an_unapproved_revision(api, author, editor, board, state):
    article = reviewed_article(author, editor, [board], state=state)
    assert article.publication_policy == "after_approval"
    response = publish(api.as_user(editor), article)
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "not_approved"
    assert not PublishRequest.objects.exists()
    assert not OutboxMessage.objects.filter(kind="publish").exists()


def test_immediate_policy_version_status_tells_the_truth_now(api, author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="submitted", publication_policy="immediate")
    api.as_user(editor)
    with run_async():
        assert publish(api, article).status_code == 202
    [v1] = versions(api, article)
    assert (v1["number"], v1["revision"], v1["review_status"]) == (1, 1, "submitted")

    assert transition(api, article, "start_review").status_code == 200
    assert versions(api, article)[0]["review_status"] == "under_review"

    api.as_user(board)
    approved = transition(api, article, "approve", password=PASSWORD)
    assert approved.status_code == 200, approved.json()
    [v1] = versions(api.as_user(editor), article)
    assert v1["review_status"] == "approved"
    assert fresh(article).live_version.number == 1  # the same version, its status now approved


def test_immediate_policy_changes_requested_counts_as_under_review(api, author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate")
    with run_async():
        assert publish(api.as_user(editor), article).status_code == 202
    assert versions(api, article)[0]["review_status"] == "under_review"
    api.as_user(board)
    assert transition(api, article, "request_changes", password=PASSWORD, comment="Cite more").status_code == 200
    assert fresh(article).state == "changes_requested"
    [v1] = versions(api.as_user(editor), article)
    assert v1["review_status"] == "under_review" and v1["retracted_at"] is None


def test_immediate_policy_refuses_a_draft(api, author, editor):
    article = reviewed_article(author, editor, [], state="draft", publication_policy="immediate")
    response = publish(api.as_user(editor), article)
    assert response.status_code == 409
    assert not PublishRequest.objects.exists()


def test_versions_are_numbered_without_gaps_and_earlier_ones_stay_untouched(api, author, editor, board, run_async):
    article = reviewed_article(author, editor, [board], state="approved")
    api.as_user(editor)
    with run_async():
        assert publish(api, article).status_code == 202
    [v1_before] = versions(api, article)

    # Revise, resubmit, approve revision 2, publish it.
    api.as_user(author)
    assert transition(api, article, "revise").status_code == 200
    edited = api.patch(url(article), {"body": "Statins lower LDL [1]. Fewer events [2]. Updated.",
                                      "change_summary": "Update"}, format="json")  # fmt: skip
    assert edited.status_code == 200, edited.json()
    assert transition(api, article, "submit").status_code == 200
    assert transition(api.as_user(editor), article, "start_review").status_code == 200
    assert transition(api.as_user(board), article, "approve", password=PASSWORD).status_code == 200
    with run_async():
        response = publish(api.as_user(editor), article)
        assert response.status_code == 202, response.json()
        assert response.json()["revision"] == 2

    listed = versions(api, article)
    assert [(v["number"], v["revision"], v["review_status"]) for v in listed] == [(1, 1, "approved"),
                                                                                 (2, 2, "approved")]  # fmt: skip
    assert listed[0] == v1_before
    assert fresh(article).live_version.number == 2
    assert sorted(PublishedVersion.objects.filter(article=article).values_list("number", flat=True)) == [1, 2]


def test_publishing_an_earlier_approved_revision_by_number(api, author, editor, board, run_async):
    """After v2 is live, the editor may put revision 1 back as v3: a new version, never a renumbering."""
    article = reviewed_article(author, editor, [board], state="approved")
    with run_async():
        assert publish(api.as_user(editor), article).status_code == 202
    workflow.revise_article(fresh(article), actor=author)
    article_services.edit_article(fresh(article), actor=author, body="Statins [1] and trials [2], revised.")
    workflow.submit_article(fresh(article), actor=author)
    workflow.start_review(fresh(article), actor=editor)
    sign_decision(fresh(article), verdict="approve", actor=board, password=PASSWORD)
    with run_async():
        assert publish(api, article).status_code == 202
        assert publish(api, article, revision=3).status_code == 400  # no such revision
    with run_async():
        assert publish(api, article, revision=1).status_code == 202
    assert [(v["number"], v["revision"]) for v in versions(api, article)] == [(1, 1), (2, 2), (3, 1)]


ROLE_CASES = [("author", 403), ("board", 403), ("auditor", 403), ("other_author", 404), (None, 401)]


def _snapshot():
    return (PublishRequest.objects.count(), OutboxMessage.objects.count(), AuditEvent.objects.count(),
            PublishedVersion.objects.count())  # fmt: skip


@pytest.mark.parametrize(("who", "status"), ROLE_CASES)
def test_only_editors_may_publish(api, request, author, editor, board, who, status):
    article = reviewed_article(author, editor, [board], state="approved")
    if who:
        api.as_user(request.getfixturevalue(who))
    before = _snapshot()
    for data in ({}, {"publish_at": (timezone.now() + datetime.timedelta(hours=1)).isoformat()}):
        response = publish(api, article, **data)
        assert response.status_code == status, response.content
        assert set(response.json()) >= {"detail", "code"}
    assert _snapshot() == before


@pytest.mark.parametrize(("who", "status"), ROLE_CASES)
def test_only_editors_may_cancel(api, request, author, editor, board, who, status):
    article = reviewed_article(author, editor, [board], state="approved")
    later = timezone.now() + datetime.timedelta(hours=1)
    scheduled = publish(api.as_user(editor), article, publish_at=later.isoformat())
    rid = scheduled.json()["id"]
    api.credentials()
    if who:
        api.as_user(request.getfixturevalue(who))
    before = _snapshot()
    response = api.post(url(article, f"publish/{rid}/cancel/"))
    assert response.status_code == status, response.content
    assert _snapshot() == before
    assert PublishRequest.objects.get(pk=rid).status == "scheduled"


@pytest.mark.parametrize("who", ["author", "board", "auditor"])
def test_403_comes_before_400_on_publish(api, request, author, editor, board, who):
    """API.md: 403 (may see, may not act) wins over 400 (malformed input)."""
    article = reviewed_article(author, editor, [board], state="approved")
    response = publish(api.as_user(request.getfixturevalue(who)), article, publish_at="not a date")
    assert response.status_code == 403, response.content
