"""Who may take a board decision, quorum and specialties, and the e-signature."""

import datetime

import pytest
from django.contrib.auth.models import Group

from articles.models import Article
from editorial.audit import verify_chain
from editorial.models import AuditEvent
from editorial.roles import AUTHORS
from editorial.services import assignments as assignment_services
from editorial.services import workflow
from reviewers.models import BoardMember, Decision
from tests.factories import PASSWORD, make_article, make_user, reviewed_article
from tests.workflow.helpers import DECISIONS, actions_since, article_url, assert_error, last_seq, snapshot

pytestmark = pytest.mark.django_db


def decide(api, user, article, name="approve", **body):
    revision = Article.objects.get(pk=article.pk).current_revision.number
    reason = {"comment": "Not supported by evidence"} if name == "reject" else {}
    body = {"password": PASSWORD, "revision": revision, **reason, **body}
    return api.as_user(user).post(article_url(article) + f"transitions/{name}/", body, format="json")


def under_review(author, editor, reviewers, **fields):
    return reviewed_article(author, editor, reviewers, state="under_review", **fields)


def assign(article, editor, member, *, declare=True):
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=member.username)
    if declare:
        assignment_services.declare_conflict(article, actor=member, has_conflict=False)


def refusals(api, user, article) -> dict:
    """Try every decision on `article` as `user`: {name: (status, code, body has a detail, nothing changed)}."""
    outcomes = {}
    for name in DECISIONS:
        before = snapshot(article)
        response = decide(api, user, article, name)
        body = response.json()
        outcomes[name] = (response.status_code, body.get("code"), bool(body.get("detail")), snapshot(article) == before)
    return outcomes


def every_decision(status, code) -> dict:
    return {name: (status, code, True, True) for name in DECISIONS}


# --- who may decide -------------------------------------------------------------------------------------


def test_board_member_cannot_decide_on_their_own_article(api, editor, board):
    writer = make_user("board", username="writing_doctor")
    writer.groups.add(Group.objects.get(name=AUTHORS))
    article = make_article(writer)
    workflow.submit_article(article, actor=writer)
    assign(article, editor, board)
    workflow.start_review(article, actor=editor)
    # The service refuses to assign the author, so this is the FSM / decision rule on its own.
    assignment_services.declare_conflict(article, actor=writer, has_conflict=False)
    assert refusals(api, writer, article) == every_decision(403, "own_article")
    assert "wrote" in decide(api, writer, article).json()["detail"]
    # As the author they may still withdraw it, but no decision is offered.
    assert [t["name"] for t in api.get(article_url(article) + "transitions/").json()] == ["withdraw"]


def test_conflicted_member_cannot_decide(api, author, editor, board):
    article = under_review(author, editor, [board])
    assignment_services.declare_conflict(article, actor=board, has_conflict=True, statement="Consults for the maker")
    assert refusals(api, board, article) == every_decision(409, "conflict_of_interest")


def test_member_without_a_declaration_cannot_decide(api, author, editor, board, board2):
    article = under_review(author, editor, [board])
    assign(article, editor, board2, declare=False)
    assert refusals(api, board2, article) == every_decision(409, "coi_declaration_required")


def test_member_with_expired_credentials_cannot_decide(api, author, editor, board):
    article = under_review(author, editor, [board])
    BoardMember.objects.filter(user=board).update(
        credentials_valid_until=datetime.date.today() - datetime.timedelta(days=1)
    )
    assert refusals(api, board, article) == every_decision(403, "credentials_expired")
    assert "expired" in decide(api, board, article).json()["detail"]
    assert api.get(article_url(article) + "transitions/").json() == []


def test_credentials_valid_until_today_still_allow_a_decision(api, author, editor):
    member = make_user("board", username="today", credentials_valid_until=datetime.date.today())
    article = under_review(author, editor, [member])
    assert decide(api, member, article).status_code == 200


def test_unassigned_member_cannot_decide(api, author, editor, board, board2):
    article = under_review(author, editor, [board])
    assignment_services.declare_conflict(article, actor=board2, has_conflict=False)
    assert refusals(api, board2, article) == every_decision(403, "not_assigned")


def test_member_who_declined_the_assignment_cannot_decide(api, author, editor, board, board2):
    article = under_review(author, editor, [board, board2], quorum=2)
    assignment = article.assignments.get(reviewer=board2)
    assignment_services.respond_to_assignment(assignment, actor=board2, accept=False, reason="On leave")
    assert refusals(api, board2, article) == every_decision(403, "not_assigned")


def test_second_decision_on_the_same_revision_is_refused(api, author, editor, board, board2):
    article = under_review(author, editor, [board, board2], quorum=2)
    first = decide(api, board, article)
    assert first.status_code == 200 and first.json()["state"] == "under_review"
    assert refusals(api, board, article) == every_decision(409, "already_decided")
    assert Decision.objects.filter(article=article, reviewer=board).count() == 1


def test_conflict_declared_after_approving_voids_the_approval(api, author, editor, board, board2):
    article = under_review(author, editor, [board, board2], quorum=2)
    assert decide(api, board, article).json()["approvals"] == 1

    declared = api.as_user(board).post(
        article_url(article) + "conflicts/",
        {"has_conflict": True, "statement": "Co-author of the trial"},
        format="json",
    )
    assert declared.status_code == 201

    listed = api.as_user(editor).get(article_url(article) + "assignments/").json()["results"]
    mine = next(a for a in listed if a["reviewer"] == board.username)
    assert mine["conflict"]["has_conflict"] is True
    assert [d["verdict"] for d in mine["decisions"]] == ["approve"]  # the record stays
    shown = api.get(article_url(article)).json()
    assert shown["approvals"] == 0 and shown["state"] == "under_review"

    before = snapshot(article)
    assert_error(decide(api, board, article, "request_changes"), 409, "conflict_of_interest")
    assert snapshot(article) == before
    assert api.as_user(board).get(article_url(article) + "transitions/").json() == []

    # The other member's approval alone does not reach quorum 2 any more.
    second = decide(api, board2, article)
    assert second.status_code == 200
    assert second.json()["approvals"] == 1 and second.json()["state"] == "under_review"


def test_approval_of_a_member_whose_credentials_expired_no_longer_counts(api, author, editor, board):
    article = under_review(author, editor, [board], quorum=2)
    assert decide(api, board, article).json()["approvals"] == 1
    BoardMember.objects.filter(user=board).update(
        credentials_valid_until=datetime.date.today() - datetime.timedelta(days=1)
    )
    assert api.as_user(editor).get(article_url(article)).json()["approvals"] == 0


# --- quorum and specialties -----------------------------------------------------------------------------


@pytest.fixture
def oncologist(db):
    return make_user("board", username="board3", specialties=["oncology"])


@pytest.fixture
def cardio_quorum(author, editor, board, board2, oncologist):
    """quorum 2, at least one cardiology: board (cardiology), board2 and board3 (oncology) assigned."""
    return under_review(author, editor, [board, board2, oncologist], quorum=2, required_specialties=["cardiology"])


def test_one_cardiology_approval_is_not_quorum(api, cardio_quorum, board):
    response = decide(api, board, cardio_quorum)
    assert response.status_code == 200
    assert response.json()["state"] == "under_review"
    assert response.json()["approvals"] == 1
    assert response.json()["missing_specialties"] == []
    assert not AuditEvent.objects.filter(action="article.approve").exists()


def test_two_approvals_without_the_required_specialty_are_not_enough(api, cardio_quorum, board2, oncologist):
    assert decide(api, board2, cardio_quorum).json()["state"] == "under_review"
    response = decide(api, oncologist, cardio_quorum)
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["approvals"], body["quorum"]) == ("under_review", 2, 2)
    assert body["missing_specialties"] == ["cardiology"]
    assert Article.objects.get(pk=cardio_quorum.pk).state == "under_review"
    assert not AuditEvent.objects.filter(action="article.approve").exists()


@pytest.mark.parametrize("order", ["cardiology_first", "oncology_first"])
def test_cardiology_and_oncology_approvals_approve(api, cardio_quorum, board, board2, order):
    first, second = (board, board2) if order == "cardiology_first" else (board2, board)
    assert decide(api, first, cardio_quorum).json()["state"] == "under_review"
    seq = last_seq()
    response = decide(api, second, cardio_quorum)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["approvals"]) == ("approved", 2)
    assert response.json()["missing_specialties"] == []
    assert actions_since(seq) == ["decision.approve", "article.approve"]
    event = AuditEvent.objects.get(action="article.approve")
    assert event.after["approvals"] == 2 and len(event.after["approvers"]) == 2


def test_request_changes_by_one_member_moves_the_article_whatever_the_quorum(api, cardio_quorum, board2):
    response = decide(api, board2, cardio_quorum, "request_changes", comment="Cite the 2023 update")
    assert response.status_code == 200 and response.json()["state"] == "changes_requested"


# --- the e-signature ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DECISIONS)
def test_wrong_password_records_only_the_failed_attempt(api, author, editor, board, name):
    article = under_review(author, editor, [board])
    before = snapshot(article)
    seq = last_seq()

    assert_error(decide(api, board, article, name, password="not my password"), 403, "signature_failed")

    assert Decision.objects.count() == before["decisions"]
    assert Article.objects.get(pk=article.pk).state == "under_review"
    assert actions_since(seq) == ["decision.signature_failed"]
    # The attempt survived the request: had it been written in the refused transaction, it would be gone.
    event = AuditEvent.objects.get(seq__gt=seq)
    assert (event.actor_id, event.article_id) == (board.pk, article.pk)
    assert event.after["verdict"] == name
    assert verify_chain().ok
    # ... and the member can still sign properly afterwards.
    assert decide(api, board, article, name).status_code == 200


@pytest.mark.postgres_only  # SQLite's append-only trigger refuses the flush that ends a transactional test
@pytest.mark.django_db(transaction=True)
def test_failed_signature_attempt_is_committed_while_the_request_is_refused(api):
    """No test transaction around this one: what the request left behind has really been committed."""
    author, editor = make_user("author", username="author"), make_user("editor", username="editor")
    board = make_user("board", username="board1")
    article = under_review(author, editor, [board])
    seq = last_seq()

    assert_error(decide(api, board, article, "approve", password="wrong"), 403, "signature_failed")

    assert actions_since(seq) == ["decision.signature_failed"]
    assert not Decision.objects.filter(article=article).exists()
    assert Article.objects.get(pk=article.pk).state == "under_review"
    assert verify_chain().ok


def test_missing_password_is_400_and_records_nothing(api, author, editor, board):
    article = under_review(author, editor, [board])
    api.as_user(board)
    for name in DECISIONS:
        for body in ({"comment": "Fine", "revision": 1}, {"comment": "Fine", "password": "", "revision": 1}):
            before = snapshot(article)
            response = api.post(article_url(article) + f"transitions/{name}/", body, format="json")
            assert "password" in assert_error(response, 400, "invalid").get("errors", {}), (name, body)
            assert snapshot(article) == before, (name, body)


def test_reject_without_a_comment_is_400_and_records_nothing(api, author, editor, board):
    article = under_review(author, editor, [board])
    api.as_user(board)
    for body in (
        {"password": PASSWORD, "revision": 1},
        {"password": PASSWORD, "revision": 1, "comment": ""},
        {"password": PASSWORD, "revision": 1, "comment": "  "},
    ):
        before = snapshot(article)
        response = api.post(article_url(article) + "transitions/reject/", body, format="json")
        assert "comment" in assert_error(response, 400, "invalid").get("errors", {}), body
        assert snapshot(article) == before, body


def test_signed_decision_carries_name_time_meaning_and_revision_hash(api, author, editor, board):
    article = under_review(author, editor, [board])
    assert decide(api, board, article, comment="Accurate").status_code == 200
    decision = Decision.objects.get(article=article)
    assert decision.signed_name == board.board_profile.display_name
    assert decision.meaning == "Approved for medical accuracy"
    assert decision.revision_hash == article.current_revision.content_hash
    assert decision.signed_at.utcoffset() == datetime.timedelta(0)
