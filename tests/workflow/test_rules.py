"""Conditions on transitions and assignments, and what GET transitions offers each user."""

import pytest
from django.contrib.auth.models import Group

from editorial.roles import AUTHORS
from editorial.services import assignments as assignment_services
from reviewers.models import Assignment, BoardMember
from tests.factories import PASSWORD, REFERENCES, make_article, make_user
from tests.workflow.helpers import (
    LIFECYCLE,
    ROLE_TRANSITIONS,
    STATES,
    TRANSITIONS,
    actions_since,
    article_url,
    assert_error,
    last_seq,
    snapshot,
)

pytestmark = pytest.mark.django_db

# --- citations ------------------------------------------------------------------------------------------

ONE_REF = [REFERENCES[0]]
THREE_REFS = [*REFERENCES, {"kind": "research", "citation": "A third, uncited study", "year": 2020}]


@pytest.mark.parametrize(
    ("body", "references", "missing", "uncited"),
    [
        ("Statins lower LDL [1]. Fewer events [2]. Also [3].", REFERENCES, [3], []),
        ("Statins lower LDL [1].", REFERENCES, [], [2]),
        ("Statins lower LDL [1] and [3].", THREE_REFS, [], [2]),
        ("Statins [2] and [4].", REFERENCES, [4], [1]),
        ("No markers at all.", ONE_REF, [], [1]),
        ("Only a marker [1].", [], [1], []),
    ],
    ids=["marker-without-reference", "reference-never-cited", "gap", "both", "no-markers", "no-references"],
)
def test_submit_with_mismatched_citations_is_409_naming_them(api, author, body, references, missing, uncited):
    article = make_article(author, body=body, references=references)
    before = snapshot(article)

    response = api.as_user(author).post(article_url(article) + "transitions/submit/", {}, format="json")

    payload = assert_error(response, 409, "citations_incomplete")
    assert payload["missing"] == missing
    assert payload["uncited"] == uncited
    for number in missing:
        assert f"[{number}]" in payload["detail"]
    for number in uncited:
        assert str(number) in payload["detail"]
    assert snapshot(article) == before


def test_fixing_the_citations_lets_the_draft_be_submitted(api, author):
    article = make_article(author, body="Statins lower LDL [1].", references=REFERENCES)
    url = article_url(article)
    api.as_user(author)
    assert api.post(url + "transitions/submit/", {}, format="json").status_code == 409
    edited = api.patch(url, {"references": ONE_REF, "change_summary": "Drop uncited reference"}, format="json")
    assert edited.status_code == 200 and edited.json()["current_revision"] == 2
    assert api.post(url + "transitions/submit/", {}, format="json").json()["state"] == "submitted"


# --- start_review ---------------------------------------------------------------------------------------


def test_start_review_without_a_reviewer_is_409(api, author, editor):
    article = make_article(author)
    api.as_user(author).post(article_url(article) + "transitions/submit/", {}, format="json")
    before = snapshot(article)
    assert before["state"] == "submitted"
    assert_error(api.as_user(editor).post(article_url(article) + "transitions/start_review/"), 409)
    assert snapshot(article) == before
    assert [t["name"] for t in api.get(article_url(article) + "transitions/").json()] == ["withdraw"]


def test_start_review_with_only_a_declined_assignment_is_409(api, build, editor, board):
    article = build("submitted")
    assignment = Assignment.objects.get(article=article, reviewer=board)
    declined = api.as_user(board).post(
        article_url(article) + f"assignments/{assignment.pk}/decline/", {"reason": "Away"}, format="json"
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    before = snapshot(article)
    assert_error(api.as_user(editor).post(article_url(article) + "transitions/start_review/"), 409)
    assert snapshot(article) == before


# --- assignments ----------------------------------------------------------------------------------------


@pytest.fixture
def submitted(author):
    article = make_article(author)
    from editorial.services import workflow

    return workflow.submit_article(article, actor=author)


@pytest.mark.parametrize(
    "who", ["other_author", "auditor", "editor", "author", "nobody_by_that_name", "", "inactive_member"]
)
def test_assigning_someone_who_is_not_an_active_board_member_is_400(
    api, editor, other_author, auditor, author, submitted, who
):
    make_user("board", username="inactive_member")
    BoardMember.objects.filter(user__username="inactive_member").update(active=False)
    before = snapshot(submitted)
    response = api.as_user(editor).post(article_url(submitted) + "assignments/", {"reviewer": who}, format="json")
    body = assert_error(response, 400)
    assert "reviewer" in body.get("errors", {})
    assert snapshot(submitted) == before


def test_assigning_the_author_who_is_a_board_member_is_400(api, editor):
    writer = make_user("board", username="writing_doctor")
    writer.groups.add(Group.objects.get(name=AUTHORS))
    article = make_article(writer)
    api.as_user(writer).post(article_url(article) + "transitions/submit/", {}, format="json")
    before = snapshot(article)
    response = api.as_user(editor).post(
        article_url(article) + "assignments/", {"reviewer": writer.username}, format="json"
    )
    body = assert_error(response, 400)
    # The author as reviewer has one answer everywhere: own_article, with the same sentence.
    assert body["code"] == "own_article"
    assert body["errors"]["reviewer"] == ["A board member cannot review an article they wrote."]
    assert snapshot(article) == before
    suggested = api.get(article_url(article) + "assignments/suggestions/").json()
    assert writer.username not in [s["username"] for s in suggested]


def test_assigning_a_conflicted_member_is_409(api, editor, board2, submitted):
    declared = api.as_user(board2).post(
        article_url(submitted) + "conflicts/", {"has_conflict": True, "statement": "My own trial"}, format="json"
    )
    assert declared.status_code == 201
    before = snapshot(submitted)
    response = api.as_user(editor).post(
        article_url(submitted) + "assignments/", {"reviewer": board2.username}, format="json"
    )
    assert_error(response, 409, "conflict_of_interest")
    assert snapshot(submitted) == before


def test_a_member_cleared_of_a_conflict_can_be_assigned(api, editor, board2, submitted):
    api.as_user(board2)
    url = article_url(submitted)
    api.post(url + "conflicts/", {"has_conflict": True, "statement": "My own trial"}, format="json")
    api.post(url + "conflicts/", {"has_conflict": False}, format="json")  # replaces the earlier one
    seq = last_seq()
    response = api.as_user(editor).post(url + "assignments/", {"reviewer": board2.username}, format="json")
    assert response.status_code == 201
    assert actions_since(seq) == ["assignment.create"]


def test_assigning_twice_is_409(api, editor, board, submitted):
    api.as_user(editor)
    url = article_url(submitted) + "assignments/"
    assert api.post(url, {"reviewer": board.username}, format="json").status_code == 201
    before = snapshot(submitted)
    assert_error(api.post(url, {"reviewer": board.username}, format="json"), 409)
    assert snapshot(submitted) == before


@pytest.mark.parametrize("state", ["approved", "rejected", "withdrawn"])
def test_assigning_on_a_closed_article_is_409(api, build, editor, board2, state):
    article = build(state)
    before = snapshot(article)
    response = api.as_user(editor).post(
        article_url(article) + "assignments/", {"reviewer": board2.username}, format="json"
    )
    assert_error(response, 409)
    assert snapshot(article) == before


# --- withdraw: malformed input before state ------------------------------------------------------------


@pytest.mark.parametrize("state", ["approved", "rejected", "withdrawn"])
def test_withdraw_without_comment_in_a_wrong_state_is_400(api, build, author, state):
    """API.md: 400 (malformed input) is answered before 409 (state), as reject already does."""
    article = build(state)
    before = snapshot(article)
    body = assert_error(
        api.as_user(author).post(article_url(article) + "transitions/withdraw/", {}, format="json"), 400
    )
    assert "comment" in body["errors"]
    assert snapshot(article) == before


def test_reject_without_comment_in_a_wrong_state_is_400(api, build, board):
    article = build("submitted")
    before = snapshot(article)
    response = api.as_user(board).post(
        article_url(article) + "transitions/reject/", {"password": PASSWORD, "revision": 1}, format="json"
    )
    assert_error(response, 400)
    assert snapshot(article) == before


# --- GET transitions ------------------------------------------------------------------------------------

LISTERS = ["author", "editor", "auditor", "board", "board2"]
ROLE_OF = {"author": "author", "editor": "editor", "auditor": "auditor", "board": "board", "board2": None}


def expected_transitions(state, who):
    allowed = ROLE_TRANSITIONS.get(ROLE_OF[who], set())  # board2 is not assigned: nothing
    return [{"name": n, "target": LIFECYCLE[state][n]} for n in TRANSITIONS if n in LIFECYCLE[state] and n in allowed]


@pytest.mark.parametrize("state", STATES)
def test_transitions_lists_exactly_what_each_user_may_take(api, build, request, state):
    article = build(state)
    listed = {}
    for who in LISTERS:
        response = api.as_user(request.getfixturevalue(who)).get(article_url(article) + "transitions/")
        assert response.status_code == 200
        listed[who] = response.json()
    assert listed == {who: expected_transitions(state, who) for who in LISTERS}


def test_editor_on_submitted_article_with_an_assignment_sees_start_review_and_withdraw(api, build, editor):
    article = build("submitted")
    assert api.as_user(editor).get(article_url(article) + "transitions/").json() == [
        {"name": "start_review", "target": "under_review"},
        {"name": "withdraw", "target": "withdrawn"},
    ]


def test_assigned_member_without_declaration_is_offered_nothing(api, build, editor, board2):
    article = build("under_review")
    assignment_services.assign_reviewer(article, actor=editor, reviewer_username=board2.username)
    assert api.as_user(board2).get(article_url(article) + "transitions/").json() == []
    assignment_services.declare_conflict(article, actor=board2, has_conflict=False)
    assert [t["name"] for t in api.get(article_url(article) + "transitions/").json()] == [
        "request_changes",
        "approve",
        "reject",
    ]


def test_member_who_already_decided_is_offered_nothing(api, build, board):
    article = build("under_review", quorum=2)
    api.as_user(board).post(
        article_url(article) + "transitions/approve/", {"password": PASSWORD, "revision": 1}, format="json"
    )
    assert api.get(article_url(article) + "transitions/").json() == []


def test_transitions_of_an_invisible_article_are_404_and_anonymous_401(api, build, other_author):
    article = build("under_review")
    assert_error(api.get(article_url(article) + "transitions/"), 401)
    assert_error(api.as_user(other_author).get(article_url(article) + "transitions/"), 404)
