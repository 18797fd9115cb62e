"""Every place that says whether a version was reviewed says the same: the index, the article page, its JSON-LD
and the API's review_status, after a re-review that ends in changes requested."""

from __future__ import annotations

import pytest

from articles.models import Article
from editorial.services import workflow
from tests.factories import PASSWORD, reviewed_article, sign_decision

from .helpers import json_ld, page_url, stepper_status

pytestmark = pytest.mark.django_db


def _everywhere(client, api, editor, article) -> dict:
    index = client.get("/articles/").content.decode()
    page = client.get(page_url(article)).content.decode()
    versions = api.as_user(editor).get(f"/api/v1/articles/{article.pk}/versions/").json()["results"]
    return {
        "index": "Reviewed by the Medical Advisory Board" in index,
        "page": stepper_status(page) == "approved" and "Reviewed by" in page,
        "json_ld": "reviewedBy" in json_ld(page),
        "api": versions[0]["review_status"] == "approved",
    }


def test_all_say_reviewed_then_all_say_not_after_changes_are_requested(client, api, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved"))
    assert _everywhere(client, api, editor, article) == dict.fromkeys(("index", "page", "json_ld", "api"), True)

    workflow.open_rereview(article, actor=editor)
    sign_decision(
        Article.objects.get(pk=article.pk),
        verdict="request_changes",
        actor=board,
        password=PASSWORD,
        comment="The guideline was updated",
    )
    assert _everywhere(client, api, editor, article) == dict.fromkeys(("index", "page", "json_ld", "api"), False)
