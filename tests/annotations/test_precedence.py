"""Who may act is answered before what they sent (API.md: 403 before 400), and expired members do not annotate."""

import datetime

import pytest

from reviewers.models import Annotation, BoardMember
from tests.factories import reviewed_article

pytestmark = pytest.mark.django_db

MALFORMED = {"revision": "x", "kind": "nonsense", "target": "not a target"}


def test_an_auditor_with_a_malformed_annotation_gets_403_not_400(api, author, editor, board, auditor):
    article = reviewed_article(author, editor, [board], state="under_review")
    response = api.as_user(auditor).post(f"/api/v1/articles/{article.pk}/annotations/", MALFORMED, format="json")
    assert response.status_code == 403, response.json()
    assert not Annotation.objects.exists()


def test_a_member_whose_credentials_expired_cannot_annotate(api, author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    BoardMember.objects.filter(user=board).update(credentials_valid_until=datetime.date(2000, 1, 1))
    text = api.as_user(board).get(f"/api/v1/articles/{article.pk}/revisions/1/").json()["text"]
    quote = "Statins lower LDL cholesterol"
    body = {"revision": 1, "kind": "comment", "body": "Check.", "target": {"selector": [
        {"type": "TextQuoteSelector", "exact": quote},
        {"type": "TextPositionSelector", "start": text.index(quote), "end": text.index(quote) + len(quote)},
    ]}}  # fmt: skip
    response = api.post(f"/api/v1/articles/{article.pk}/annotations/", body, format="json")
    assert response.status_code == 403 and response.json()["code"] == "credentials_expired"
    assert not Annotation.objects.exists()


def test_a_transition_with_a_malformed_body_by_the_wrong_role_is_403(api, author, editor, board, auditor):
    article = reviewed_article(author, editor, [board], state="under_review")
    response = api.as_user(auditor).post(
        f"/api/v1/articles/{article.pk}/transitions/approve/", {"password": ["not", "a", "string"]}, format="json"
    )
    assert response.status_code == 403
