"""Helpers for the page tests: URLs, messages shown, and snapshots of what a refused request must not change."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.urls import reverse

from articles.models import Article, Revision
from editorial.models import AuditEvent
from reviewers.models import Annotation, AnnotationReply, Assignment, ConflictDeclaration, Decision


def workspace_url(article, revision: int | None = None) -> str:
    url = reverse("workspace", args=[article.pk])
    return f"{url}?revision={revision}" if revision else url


def shown(response) -> list[str]:
    """The messages a response shows (rendered now, or queued for the page a redirect leads to)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def follow_messages(client, response) -> str:
    """The page a redirect leads to, as text (its messages included)."""
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"]).content.decode()


def snapshot(article) -> dict:
    """Everything a page POST could change about an article (audit events excepted)."""
    article = Article.objects.get(pk=article.pk)
    return {
        "state": article.state,
        "current_revision": article.current_revision_id,
        "revisions": Revision.objects.filter(article=article).count(),
        "annotations": list(Annotation.objects.filter(article=article).values_list("id", "status").order_by("id")),
        "replies": AnnotationReply.objects.filter(annotation__article=article).count(),
        "decisions": Decision.objects.filter(article=article).count(),
        "assignments": list(Assignment.objects.filter(article=article).values_list("id", "status").order_by("id")),
        "declarations": ConflictDeclaration.objects.filter(article=article).count(),
    }


def audit_count() -> int:
    return AuditEvent.objects.count()


def selectors_for(text: str, exact: str, occurrence: int = 0) -> dict:
    """Form fields for the `occurrence`-th `exact` in `text`: positions in code points (Python indices)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(exact, start + 1)
    return {"exact": exact, "start": start, "end": start + len(exact)}
