"""Every page POST needs the CSRF token: the form field, or htmx's header from the page body."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import ArticleState
from reviewers.models import Annotation
from tests.pages.workspace.helpers import selectors_for, snapshot, workspace_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(board):
    client = Client(enforce_csrf_checks=True)
    client.force_login(board)
    return client


def test_posts_without_the_token_are_refused(strict, article, build):
    text = article.current_revision.text
    data = {"revision": 1, "kind": "comment", "body": "Hm.", **selectors_for(text, "LDL")}
    before = snapshot(article)
    for url, payload in (
        (reverse("annotation-create", args=[article.pk]), data),
        (reverse("workspace-transition", args=[article.pk, "request_changes"]), {"password": "x"}),
        (reverse("workspace-conflict", args=[article.pk]), {"has_conflict": "on", "statement": "x"}),
    ):
        assert strict.post(url, payload).status_code == 403, url
    assert snapshot(article) == before

    page = strict.get(workspace_url(article)).content.decode()
    form = page[page.index('id="annotation-form"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = strict.post(reverse("annotation-create", args=[article.pk]), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Annotation.objects.count() == 1


def test_htmx_sends_the_token_as_a_header(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    page = client.get(reverse("article-new")).content.decode()
    headers = json.loads(re.search(r"hx-headers='([^']+)'", page).group(1))
    url = reverse("article-preview")
    assert client.post(url, {"body": "Hello [1]."}).status_code == 403
    response = client.post(url, {"body": "Hello [1]."}, HTTP_X_CSRFTOKEN=headers["X-CSRFToken"])
    assert response.status_code == 200
    assert "no reference for [1]" in response.content.decode()
    assert ArticleState.DRAFT  # nothing is saved by a preview
