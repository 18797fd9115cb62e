"""Every role against every write endpoint: who may act, who is refused and how, and that refusals change nothing."""

import pytest

from reviewers.models import Assignment
from tests.factories import BODY, REFERENCES
from tests.workflow.helpers import article_url, assert_error, snapshot, transition_body

pytestmark = pytest.mark.django_db

ROLES = ["author", "other_author", "editor", "auditor", "assigned_board", "unassigned_board", "anonymous"]

NEW_ARTICLE = {"title": "Is aspirin still advised?", "body": BODY, "references": REFERENCES}

# endpoint: (state of the article it acts on, method, path after the article's URL, body)
ENDPOINTS = {
    "create_article": (None, "post", None, NEW_ARTICLE),
    "edit_article": ("changes_requested", "patch", "", {"title": "A clearer title", "change_summary": "Title"}),
    "submit": ("draft", "post", "transitions/submit/", transition_body("submit")),
    "start_review": ("submitted", "post", "transitions/start_review/", transition_body("start_review")),
    "request_changes": ("under_review", "post", "transitions/request_changes/", transition_body("request_changes")),
    "approve": ("under_review", "post", "transitions/approve/", transition_body("approve")),
    "reject": ("under_review", "post", "transitions/reject/", transition_body("reject")),
    "withdraw": ("under_review", "post", "transitions/withdraw/", transition_body("withdraw")),
    "revise": ("changes_requested", "post", "transitions/revise/", transition_body("revise")),
    "assign_reviewer": ("submitted", "post", "assignments/", {"reviewer": "board2"}),
    "declare_conflict": ("submitted", "post", "conflicts/", {"has_conflict": False}),
    "accept_assignment": ("submitted", "post", "assignments/{assignment}/accept/", {}),
    "decline_assignment": ("submitted", "post", "assignments/{assignment}/decline/", {"reason": "Travelling"}),
}

PD = "permission_denied"
NA = "not_assigned"
# endpoint: the answer for each role in ROLES order; an int is a success, a (status, code) pair a refusal.
EXPECTED = {
    "create_article": (201, 201, 201, (403, PD), (403, PD), (403, PD), 401),
    "edit_article": (200, 404, 200, (403, PD), (403, PD), (403, PD), 401),
    "submit": (200, 404, 200, (403, PD), (403, PD), (403, PD), 401),
    "start_review": ((403, PD), 404, 200, (403, PD), (403, PD), (403, PD), 401),
    "request_changes": ((403, PD), 404, (403, PD), (403, PD), 200, (403, NA), 401),
    "approve": ((403, PD), 404, (403, PD), (403, PD), 200, (403, NA), 401),
    "reject": ((403, PD), 404, (403, PD), (403, PD), 200, (403, NA), 401),
    "withdraw": (200, 404, 200, (403, PD), (403, PD), (403, PD), 401),
    "revise": (200, 404, 200, (403, PD), (403, PD), (403, PD), 401),
    "assign_reviewer": ((403, PD), 404, 201, (403, PD), (403, PD), (403, PD), 401),
    "declare_conflict": ((403, PD), 404, (403, PD), (403, PD), 201, 201, 401),
    "accept_assignment": ((403, PD), 404, (403, PD), (403, PD), 200, (403, PD), 401),
    "decline_assignment": ((403, PD), 404, (403, PD), (403, PD), 200, (403, PD), 401),
}

REFUSALS = {
    endpoint: {
        role: answer
        for role, answer in zip(ROLES, answers, strict=True)
        if not isinstance(answer, int) or answer >= 400
    }
    for endpoint, answers in EXPECTED.items()
}
SUCCESSES = [
    (endpoint, role, answer)
    for endpoint, answers in EXPECTED.items()
    for role, answer in zip(ROLES, answers, strict=True)
    if isinstance(answer, int) and answer < 400
]
DEFAULT_CODES = {401: "not_authenticated", 404: "not_found"}


@pytest.fixture
def people(author, other_author, editor, auditor, board, board2):
    return {
        "author": author,
        "other_author": other_author,
        "editor": editor,
        "auditor": auditor,
        "assigned_board": board,
        "unassigned_board": board2,
        "anonymous": None,
    }


def _target(build, people, endpoint):
    state, _method, path, _body = ENDPOINTS[endpoint]
    if state is None:
        return None, "/api/v1/articles/"
    article = build(state)
    assignment = Assignment.objects.get(article=article, reviewer=people["assigned_board"])
    return article, article_url(article) + path.format(assignment=assignment.pk)


def _send(api, user, endpoint, url, body=None):
    api.credentials()  # anonymous unless signed in below
    if user is not None:
        api.as_user(user)
    method, default_body = ENDPOINTS[endpoint][1], ENDPOINTS[endpoint][3]
    return getattr(api, method)(url, default_body if body is None else body, format="json")


def _refusal_outcomes(api, people, endpoint, article, url, roles, body=None):
    """For each role: (status, code, body has a detail, nothing changed)."""
    outcomes = {}
    for role in roles:
        before = snapshot(article)
        response = _send(api, people[role], endpoint, url, body)
        payload = response.json()
        outcomes[role] = (
            response.status_code,
            payload.get("code"),
            bool(payload.get("detail")),
            snapshot(article) == before,
        )
    return outcomes


def _expected_refusal(answer):
    status, code = answer if isinstance(answer, tuple) else (answer, DEFAULT_CODES[answer])
    return (status, code, True, True)


def test_the_matrix_covers_every_role_and_endpoint():
    assert all(len(answers) == len(ROLES) for answers in EXPECTED.values())
    assert set(EXPECTED) == set(ENDPOINTS)
    assert len(SUCCESSES) + sum(len(r) for r in REFUSALS.values()) == len(ROLES) * len(ENDPOINTS)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_refused_roles_get_the_right_answer_and_change_nothing(api, build, people, endpoint):
    article, url = _target(build, people, endpoint)
    outcomes = _refusal_outcomes(api, people, endpoint, article, url, REFUSALS[endpoint])
    assert outcomes == {role: _expected_refusal(answer) for role, answer in REFUSALS[endpoint].items()}


@pytest.mark.parametrize(("endpoint", "role", "status"), SUCCESSES, ids=[f"{e}-{r}" for e, r, _ in SUCCESSES])
def test_permitted_role_succeeds(api, build, people, endpoint, role, status):
    article, url = _target(build, people, endpoint)
    before = snapshot(article)
    response = _send(api, people[role], endpoint, url)
    assert response.status_code == status, response.json()
    assert snapshot(article) != before  # the same request really changes something when permitted


# Refusals come before input checks (API.md: 401, then 404, then 403, then 400): a malformed body from
# someone who may not act at all is still refused as such, and never reported as a 400.
MALFORMED = {
    "create_article": {"title": ""},
    "edit_article": {"quorum": 0},
    "withdraw": {},  # no comment
    "reject": {"password": ""},
    "assign_reviewer": {},
    "declare_conflict": {"statement": "missing has_conflict"},
    "decline_assignment": {},  # no reason
}


@pytest.mark.parametrize("endpoint", list(MALFORMED))
def test_refusal_wins_over_malformed_input(api, build, people, endpoint):
    article, url = _target(build, people, endpoint)
    outcomes = _refusal_outcomes(api, people, endpoint, article, url, REFUSALS[endpoint], body=MALFORMED[endpoint])
    assert outcomes == {role: _expected_refusal(answer) for role, answer in REFUSALS[endpoint].items()}


@pytest.mark.parametrize("endpoint", list(MALFORMED))
def test_malformed_input_from_someone_who_may_act_is_400(api, build, people, endpoint):
    role = "assigned_board" if endpoint in ("reject", "declare_conflict", "decline_assignment") else "editor"
    article, url = _target(build, people, endpoint)
    before = snapshot(article)
    assert_error(_send(api, people[role], endpoint, url, MALFORMED[endpoint]), 400, "invalid")
    assert snapshot(article) == before
