"""Shared helpers for the annotation tests: selectors built from a revision's plain text, and state snapshots."""

from __future__ import annotations

from articles.models import Article, Revision
from editorial.models import AuditEvent
from reviewers.models import Annotation, AnnotationAnchor, AnnotationReply, Decision

# A body with a paragraph that can be deleted without leaving a reference uncited.
BODY = (
    "## From the Guidelines\n\n"
    "Statins lower LDL cholesterol [1].\n\n"
    "Muscle aches are the most commonly reported side effect of treatment.\n\n"
    "## From the Research\n\n"
    "A trial found fewer events [2]."
)


def url(article, rest: str = "") -> str:
    return f"/api/v1/articles/{article.pk}/{rest}"


def ann_url(article, annotation_id, rest: str = "") -> str:
    return url(article, f"annotations/{annotation_id}/{rest}")


def current(article) -> Article:
    return Article.objects.select_related("current_revision").get(pk=article.pk)


def text_of(article, number: int | None = None) -> str:
    article = current(article)
    number = number or article.current_revision.number
    return Revision.objects.get(article=article, number=number).text


def target(text: str, exact: str, occurrence: int = 0, *, position: bool = True, context: bool = False) -> dict:
    """Selectors for the `occurrence`-th `exact` in `text` (a TextPositionSelector unless position=False)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(exact, start + 1)
    end = start + len(exact)
    quote = {"type": "TextQuoteSelector", "exact": exact}
    if context:
        quote["prefix"], quote["suffix"] = text[max(0, start - 32) : start], text[end : end + 32]
    selectors = [quote]
    if position:
        selectors.append({"type": "TextPositionSelector", "start": start, "end": end})
    return {"selector": selectors}


def annotate(
    api,
    article,
    exact: str,
    *,
    kind: str = "comment",
    body: str = "Please check this.",
    revision: int | None = None,
    occurrence: int = 0,
    **extra,
):
    """POST an annotation on `exact` in the given (default: current) revision, as the client's user."""
    article = current(article)
    number = revision or article.current_revision.number
    payload = {
        "revision": number,
        "kind": kind,
        "body": body,
        "target": target(text_of(article, number), exact, occurrence),
        **extra,
    }
    return api.post(url(article, "annotations/"), payload, format="json")


def created(api, article, exact: str, **kwargs) -> dict:
    response = annotate(api, article, exact, **kwargs)
    assert response.status_code == 201, response.json()
    return response.json()


def listed(api, article, revision: int | None = None) -> dict[int, dict]:
    path = url(article, "annotations/") + (f"?revision={revision}" if revision else "")
    response = api.get(path)
    assert response.status_code == 200, response.json()
    return {a["id"]: a for a in response.json()["results"]}


def selector(annotation: dict, kind: str) -> dict:
    return next(s for s in annotation["target"]["selector"] if s["type"] == kind)


def snapshot() -> dict:
    """Everything an annotation request could change."""
    return {
        "annotations": list(
            Annotation.objects.order_by("id").values_list(
                "id", "status", "resolved_by_id", "accepted_revision_id", "blocking", "body"
            )
        ),
        "anchors": list(
            AnnotationAnchor.objects.order_by("id").values_list("id", "revision_id", "start", "end", "method")
        ),
        "replies": AnnotationReply.objects.count(),
        "revisions": list(Revision.objects.order_by("id").values_list("id", flat=True)),
        "articles": list(Article.objects.order_by("id").values_list("id", "state", "current_revision_id")),
        "decisions": Decision.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
