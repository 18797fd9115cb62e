"""Every transition from every state, through the API, by a user who holds the role for it."""

import itertools

import pytest

from articles.models import TRANSITION_NAMES, Article
from editorial.audit import verify_chain
from editorial.models import AuditEvent
from reviewers.models import Decision
from tests.workflow.helpers import (
    DECISIONS,
    LIFECYCLE,
    STATES,
    TRANSITIONS,
    actions_since,
    article_url,
    assert_error,
    last_seq,
    snapshot,
    transition_body,
)

pytestmark = pytest.mark.django_db

# Who takes each transition in the matrix (the editor's submit / withdraw / revise: test_permissions.py).
TAKER = {
    "submit": "author",
    "start_review": "editor",
    "request_changes": "board",
    "approve": "board",
    "reject": "board",
    "withdraw": "author",
    "revise": "author",
}
CASES = [(state, name, TAKER[name]) for state, name in itertools.product(STATES, TRANSITIONS)]


def test_lifecycle_table_covers_every_state_and_transition():
    assert set(LIFECYCLE) == set(STATES)
    assert {n for targets in LIFECYCLE.values() for n in targets} == set(TRANSITIONS)
    assert sum(len(t) for t in LIFECYCLE.values()) == 11


def test_the_model_declares_exactly_the_design_lifecycle():
    """The API's transitions, as the FSM declares them. System-only transitions (the periodic re-review)
    are not taken through `transitions/{name}/` and are left out here."""
    assert tuple(TRANSITION_NAMES) == tuple(TRANSITIONS)
    declared: dict[str, dict[str, str]] = {state: {} for state in STATES}
    for transition in Article._meta.get_field("state").get_all_transitions(Article):
        if transition.name in TRANSITIONS:
            declared.setdefault(transition.source, {})[transition.name] = transition.target
    assert declared == LIFECYCLE


@pytest.mark.parametrize(("state", "name", "taker"), CASES, ids=[f"{s}-{n}-{t}" for s, n, t in CASES])
def test_transition_from_state(api, build, author, editor, board, state, name, taker):
    article = build(state)
    actor = {"author": author, "editor": editor, "board": board}[taker]
    before = snapshot(article)
    seq = last_seq()
    decisions = Decision.objects.count()

    response = api.as_user(actor).post(
        article_url(article) + f"transitions/{name}/", transition_body(name), format="json"
    )

    target = LIFECYCLE[state].get(name)
    if target is None:
        assert_error(response, 409, "invalid_transition")
        assert snapshot(article) == before
        assert actions_since(seq) == []
        return

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == target
    assert response.json()["id"] == article.pk
    assert Article.objects.get(pk=article.pk).state == target
    new = actions_since(seq)
    assert new.count(f"article.{name}") == 1
    if name in DECISIONS:
        assert new.count(f"decision.{name}") == 1
        assert sorted(new) == sorted([f"decision.{name}", f"article.{name}"])
        assert Decision.objects.count() == decisions + 1
    else:
        assert new == [f"article.{name}"]
        assert Decision.objects.count() == decisions
    event = AuditEvent.objects.get(seq__gt=seq, action=f"article.{name}")
    assert event.actor_id == actor.pk
    assert event.article_id == article.pk
    assert event.before["state"] == state
    assert event.after["state"] == target
    assert verify_chain().ok


def test_unknown_transition_is_404_and_changes_nothing(api, build, author):
    article = build("draft")
    before = snapshot(article)
    response = api.as_user(author).post(article_url(article) + "transitions/publish/", {}, format="json")
    assert_error(response, 404)
    assert snapshot(article) == before


def test_withdraw_by_editor_records_the_reason(api, build, editor):
    article = build("under_review")
    seq = last_seq()
    response = api.as_user(editor).post(
        article_url(article) + "transitions/withdraw/", {"comment": "Duplicate of another article"}, format="json"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(seq__gt=seq)
    assert (event.action, event.reason) == ("article.withdraw", "Duplicate of another article")


def test_withdraw_without_comment_is_400_and_changes_nothing(api, build, author):
    article = build("submitted")
    before = snapshot(article)
    response = api.as_user(author).post(article_url(article) + "transitions/withdraw/", {}, format="json")
    body = assert_error(response, 400)
    assert "comment" in body.get("errors", {})
    assert snapshot(article) == before
