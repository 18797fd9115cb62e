"""Shared expectations and helpers for the workflow and permission tests."""

from __future__ import annotations

from articles.models import Article, ArticleState, Revision
from editorial.models import AuditEvent
from editorial.services import workflow
from reviewers.models import Assignment, ConflictDeclaration, Decision
from tests.factories import PASSWORD, reviewed_article

STATES = [s.value for s in ArticleState]
TRANSITIONS = ["submit", "start_review", "request_changes", "approve", "reject", "withdraw", "revise"]
DECISIONS = ("request_changes", "approve", "reject")

# The lifecycle drawn in DESIGN.md, written out by hand: state -> {transition: target}.
LIFECYCLE = {
    "draft": {"submit": "submitted", "withdraw": "withdrawn"},
    "submitted": {"start_review": "under_review", "withdraw": "withdrawn"},
    "under_review": {
        "request_changes": "changes_requested",
        "approve": "approved",
        "reject": "rejected",
        "withdraw": "withdrawn",
    },
    "changes_requested": {"revise": "draft", "withdraw": "withdrawn"},
    "approved": {"revise": "draft"},
    "rejected": {},
    "withdrawn": {},
}

# Which role may take which transition (API.md, Workflow).
ROLE_TRANSITIONS = {
    "author": {"submit", "withdraw", "revise"},
    "editor": {"submit", "start_review", "withdraw", "revise"},
    "board": {"request_changes", "approve", "reject"},
    "auditor": set(),
}


def transition_body(name: str, revision: int = 1) -> dict:
    """A valid body for taking `name`: a decision signs `revision` (the articles in these tests are on 1)."""
    body: dict = {}
    if name in DECISIONS:
        body["password"] = PASSWORD
        body["revision"] = revision
    if name in ("reject", "withdraw"):
        body["comment"] = "A reason for the record"
    return body


def article_url(article) -> str:
    return f"/api/v1/articles/{article.pk}/"


def article_in(state: str, *, author, editor, reviewer, **fields) -> Article:
    """An article in `state` that `reviewer` is assigned to, has declared on, and can see.

    Unlike `reviewed_article`, draft and withdrawn articles are reached after a submission, so the
    board member sees them and a refusal is about the state, not about visibility.
    """
    if state == ArticleState.DRAFT:
        article = reviewed_article(author, editor, [reviewer], state=ArticleState.CHANGES_REQUESTED, **fields)
        workflow.revise_article(article, actor=author)
    elif state == ArticleState.WITHDRAWN:
        article = reviewed_article(author, editor, [reviewer], state=ArticleState.SUBMITTED, **fields)
        workflow.withdraw_article(article, actor=author, comment="No longer needed")
    else:
        article = reviewed_article(author, editor, [reviewer], state=state, **fields)
    article = Article.objects.get(pk=article.pk)
    assert article.state == state
    assert article.first_submitted_at is not None
    return article


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def actions_since(seq: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("action", flat=True))


def snapshot(article: Article | None = None) -> dict:
    """Everything a refused request must leave as it was."""
    snap = {
        "articles": Article.objects.count(),
        "revisions": Revision.objects.count(),
        "events": AuditEvent.objects.count(),
        "decisions": Decision.objects.count(),
        "declarations": ConflictDeclaration.objects.count(),
        "assignments": sorted(Assignment.objects.values_list("id", "reviewer_id", "status")),
    }
    if article is not None:
        fresh = Article.objects.select_related("current_revision").get(pk=article.pk)
        snap["state"] = fresh.state
        snap["current_revision"] = fresh.current_revision.number
        snap["settings"] = (fresh.quorum, list(fresh.required_specialties), fresh.publication_policy, fresh.topic)
    return snap


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body
