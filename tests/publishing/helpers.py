"""Small helpers shared by the publishing tests."""

from __future__ import annotations

from articles.models import Article


def with_email(user, address: str | None = None):
    user.email = address or f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


def url(article, rest: str = "") -> str:
    return f"/api/v1/articles/{article.pk}/{rest}"


def publish(api, article, **data):
    return api.post(url(article, "publish/"), data, format="json")


def versions(api, article) -> list[dict]:
    response = api.get(url(article, "versions/"))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def fresh(article) -> Article:
    return Article.objects.get(pk=article.pk)


DECISIONS = ("approve", "request_changes", "reject")


def transition(api, article, name: str, **data):
    if name in DECISIONS:
        data.setdefault("revision", fresh(article).current_revision.number)  # the revision the member read
    return api.post(url(article, f"transitions/{name}/"), data, format="json")
