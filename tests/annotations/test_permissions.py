"""Who may do what on every annotation endpoint; a refusal changes nothing."""

import pytest
from rest_framework.test import APIClient

from editorial.services import annotations as annotation_services
from reviewers.models import Annotation
from tests.annotations.helpers import ann_url, annotate, snapshot, target, text_of, url

pytestmark = pytest.mark.django_db

EARLY = "Statins lower LDL cholesterol"
TRIAL = "A trial found fewer events"

OK = {"list": 200, "detail": 200, "jsonld": 200, "create": 201, "reply": 201, "resolve": 200, "reopen": 200}

# role -> endpoint -> expected status (or (status, code)); `note` and `done` are annotations `board` made,
# `done` already resolved. Accepting is covered in test_suggestions.
EXPECTED = {
    "anonymous": {name: 401 for name in OK},
    "other_author": {name: 404 for name in OK},
    "auditor": {**OK, "create": 403, "reply": 403, "resolve": 403, "reopen": 403},
    "outsider": {**OK, "create": (403, "not_assigned"), "reply": (403, "not_assigned"), "resolve": 403, "reopen": 403},
    "board2": {**OK, "resolve": 403, "reopen": 403},
    "author": {**OK, "create": 403},
    "editor": OK,
    "board": OK,
}


def _setup(article, board):
    text = text_of(article)
    selectors = {"exact": EARLY, "start": text.index(EARLY), "end": text.index(EARLY) + len(EARLY)}
    note = annotation_services.add_annotation(
        article, actor=board, revision_number=1, kind="comment", body="Which statins?", selectors=selectors
    )
    done = annotation_services.add_annotation(
        article, actor=board, revision_number=1, kind="comment", body="Typo.", selectors=selectors
    )
    annotation_services.resolve_annotation(done, actor=board)
    return note, done


def _requests(article, note, done):
    text = text_of(article)
    create = {"revision": 1, "kind": "comment", "body": "Source?", "target": target(text, TRIAL)}
    return {
        "list": ("get", url(article, "annotations/"), None),
        "detail": ("get", ann_url(article, note.pk), None),
        "jsonld": ("get", ann_url(article, note.pk) + "?format=jsonld", None),
        "create": ("post", url(article, "annotations/"), create),
        "reply": ("post", ann_url(article, note.pk, "replies/"), {"body": "Atorvastatin."}),
        "resolve": ("post", ann_url(article, note.pk, "resolve/"), {"body": "Done."}),
        "reopen": ("post", ann_url(article, done.pk, "reopen/"), {}),
    }


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_endpoint_for_every_role(request, api, article, board, role):
    note, done = _setup(article, board)
    client = APIClient() if role == "anonymous" else api.as_user(request.getfixturevalue(role))
    for name, (method, path, payload) in _requests(article, note, done).items():
        expected = EXPECTED[role][name]
        status, code = expected if isinstance(expected, tuple) else (expected, None)
        before = snapshot()
        response = getattr(client, method)(path, payload, format="json") if payload is not None else client.get(path)
        assert response.status_code == status, (name, response.content)
        if code:
            assert response.json()["code"] == code, (name, response.json())
        if status >= 400:
            assert snapshot() == before, name
            assert set(response.json()) >= {"detail", "code"}
        elif method == "post":
            assert snapshot() != before, name


def test_the_author_replies_and_resolves_but_cannot_create(api, article, author, board):
    note, _ = _setup(article, board)
    api.as_user(author)
    before = snapshot()
    refused = annotate(api, article, TRIAL)
    assert refused.status_code == 403
    assert snapshot() == before
    reply = api.post(ann_url(article, note.pk, "replies/"), {"body": "Atorvastatin."}, format="json")
    assert reply.status_code == 201
    assert reply.json()["author"] == "author" and reply.json()["body"] == "Atorvastatin."
    resolved = api.post(ann_url(article, note.pk, "resolve/"), {}, format="json").json()
    assert (resolved["status"], resolved["resolved_by"]) == ("resolved", "author")
    assert Annotation.objects.get(pk=note.pk).resolved_by == author
    reopened = api.post(ann_url(article, note.pk, "reopen/"), {}, format="json").json()
    assert (reopened["status"], reopened["resolved_by"], reopened["resolved_at"]) == ("open", None, None)


def test_a_second_assigned_member_cannot_resolve_or_reopen_anothers_annotation(api, article, board, board2):
    note, done = _setup(article, board)
    api.as_user(board2)
    before = snapshot()
    assert api.post(ann_url(article, note.pk, "resolve/"), {"body": "No."}, format="json").status_code == 403
    assert api.post(ann_url(article, done.pk, "reopen/"), {}, format="json").status_code == 403
    assert snapshot() == before
    assert Annotation.objects.get(pk=note.pk).status == "open"
    assert Annotation.objects.get(pk=done.pk).status == "resolved"
    # Their own annotation they may resolve and reopen.
    own = annotate(api, article, TRIAL).json()
    assert api.post(ann_url(article, own["id"], "resolve/"), {}, format="json").json()["status"] == "resolved"
    assert api.post(ann_url(article, own["id"], "reopen/"), {}, format="json").json()["status"] == "open"


def test_resolving_twice_or_reopening_an_open_annotation_is_a_conflict(api, article, board):
    note, done = _setup(article, board)
    api.as_user(board)
    before = snapshot()
    assert api.post(ann_url(article, done.pk, "resolve/"), {}, format="json").status_code == 409
    assert api.post(ann_url(article, note.pk, "reopen/"), {}, format="json").status_code == 409
    assert snapshot() == before


def test_annotations_of_another_article_are_not_found_through_this_one(api, article, build, board):
    note, _ = _setup(article, board)
    other = build("under_review")
    api.as_user(board)
    before = snapshot()
    for path in (ann_url(other, note.pk), ann_url(other, note.pk, "replies/"), ann_url(other, note.pk, "resolve/")):
        response = api.get(path) if path.endswith(f"{note.pk}/") else api.post(path, {"body": "x"}, format="json")
        assert response.status_code == 404, path
    assert snapshot() == before


@pytest.mark.parametrize("state", ["draft", "approved", "rejected", "withdrawn"])
def test_creating_in_a_state_that_is_not_under_review_is_a_conflict(api, build, author, board, editor, state):
    article = build(state) if state != "withdrawn" else _withdrawn(build, author)
    for user in (board, editor):
        before = snapshot()
        response = annotate(api.as_user(user), article, EARLY)
        assert response.status_code == 409, (user.username, response.json())
        assert snapshot() == before


def _withdrawn(build, author):
    from editorial.services import workflow

    article = build("submitted")
    return workflow.withdraw_article(article, actor=author, comment="No longer needed")


@pytest.mark.parametrize("state", ["submitted", "under_review", "changes_requested"])
def test_creating_while_in_review(api, build, board, state):
    article = build(state)
    response = annotate(api.as_user(board), article, EARLY)
    assert response.status_code == 201, response.json()
    assert response.json()["created_by"] == "board1"


def test_replies_from_the_thread_participants_only(api, article, board, board2, author, editor, auditor, outsider):
    note, _ = _setup(article, board)
    for user in (board, board2, author, editor):
        assert (
            api.as_user(user)
            .post(ann_url(article, note.pk, "replies/"), {"body": f"From {user.username}"}, format="json")
            .status_code
            == 201
        )
    before = snapshot()
    for user in (auditor, outsider):
        assert (
            api.as_user(user).post(ann_url(article, note.pk, "replies/"), {"body": "x"}, format="json").status_code
            == 403
        )
    assert (
        api.as_user(board).post(ann_url(article, note.pk, "replies/"), {"body": "   "}, format="json").status_code
        == 400
    )
    assert snapshot() == before
    replies = api.as_user(auditor).get(ann_url(article, note.pk)).json()["replies"]
    assert [r["author"] for r in replies] == ["board1", "board2", "author", "editor"]
