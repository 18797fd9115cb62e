"""The retraction list: POST/GET /api/v1/reference-retractions/, and what a retraction does to the articles that
cite it (under review: a blocking check; submitted later: the check at submission; live: editors told, a
re-review opens, the public page says why)."""

from __future__ import annotations

import pytest

from articles.models import Article, ArticleState, RereviewReason
from editorial.models import AuditEvent, Notification, NotificationKind, OutboxMessage, ReferenceRetraction
from editorial.services import articles as article_services
from editorial.services import retractions, workflow
from reviewers.models import Annotation, AnnotationKind, AnnotationStatus
from tests.factories import PASSWORD, make_article, make_user, reviewed_article

pytestmark = pytest.mark.django_db

PATH = "/api/v1/reference-retractions/"
RETRACTED_DOI = "10.1016/S0140-6736(20)31180-6"  # as the reference writes it: upper case
BODY = (
    "## From the Guidelines\n\nStatins lower LDL cholesterol in adults at risk [1].\n\n"
    "## From the Research\n\nA trial found fewer heart attacks with statins [2]."
)


def references(doi: str = f"https://doi.org/{RETRACTED_DOI}", pmid: str = "") -> list[dict]:
    return [
        {"kind": "guideline", "citation": "ESC/EAS Guidelines for the management of dyslipidaemias", "year": 2019},
        {"kind": "research", "citation": "A retracted trial of statins", "year": 2020, "doi": doi, "pmid": pmid},
    ]


def retracted_checks(article) -> list[Annotation]:
    return list(Annotation.objects.filter(article=article, kind=AnnotationKind.CHECK, rule="retracted_reference"))


def post(api, user, data, capture=None):
    api.as_user(user)
    if capture is None:
        return api.post(PATH, data, format="json")
    with capture(execute=True):
        return api.post(PATH, data, format="json")


# -- the three paths ----------------------------------------------------------------------------------------


def test_an_article_under_review_that_cites_it_gets_a_blocking_check(api, author, editor, board):
    article = reviewed_article(author, editor, [board], title="Do statins prevent heart attacks?", body=BODY,
                               references=references())  # fmt: skip
    other = reviewed_article(author, editor, [board], title="Do statins cause muscle aches?", body=BODY,
                             references=references(doi="10.1000/not-retracted"))  # fmt: skip
    response = post(api, editor, {"doi": RETRACTED_DOI.lower(), "note": "Retracted by the journal, June 2020."})
    assert response.status_code == 201, response.json()
    [check] = retracted_checks(article)
    assert check.blocking and check.status == AnnotationStatus.OPEN and check.created_by is None
    assert check.created_on_revision_id == Article.objects.get(pk=article.pk).current_revision_id
    assert check.anchors.get().exact == "[2]"  # on the marker that cites it
    assert retracted_checks(other) == []
    # It blocks approval like any blocking annotation, and records nothing.
    response = api.as_user(board).post(
        f"/api/v1/articles/{article.pk}/transitions/approve/", {"password": PASSWORD, "revision": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "blocking_annotations_open"
    assert check.pk in response.json()["annotations"]
    assert Article.objects.get(pk=article.pk).state == ArticleState.UNDER_REVIEW


def test_an_article_submitted_later_gets_the_check_at_submission(api, author, editor,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    post(api, editor, {"doi": f"https://doi.org/{RETRACTED_DOI}", "note": "Retracted."})
    article = make_article(author, title="Do statins prevent heart attacks?", body=BODY, references=references())
    assert retracted_checks(article) == []
    api.as_user(author)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/articles/{article.pk}/transitions/submit/", {}, format="json")
    assert response.status_code == 200
    [check] = retracted_checks(article)
    assert check.blocking and check.status == AnnotationStatus.OPEN
    assert "doi:10.1016/s0140-6736(20)31180-6" in check.body


def test_a_live_article_that_cites_it_is_reviewed_again(api, client, author, editor, board, publish,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED,
                               title="Do statins prevent heart attacks?", body=BODY,
                               references=references(doi="", pmid="32511234"))  # fmt: skip
    article = publish(article)
    other_editor = make_user("editor", username="editor2")
    response = post(api, editor, {"pmid": "32511234", "note": "Retracted: data could not be verified."},
                    django_capture_on_commit_callbacks)  # fmt: skip
    assert response.status_code == 201, response.json()
    article = Article.objects.get(pk=article.pk)
    assert article.state == ArticleState.UNDER_REVIEW
    assert article.rereview_reason == RereviewReason.RETRACTED_SOURCE
    for user in (editor, other_editor):
        notice = Notification.objects.get(recipient=user, kind=NotificationKind.SOURCE_RETRACTED)
        assert "pmid:32511234" in notice.body and notice.article_id == article.pk
    assert Notification.objects.filter(recipient=other_editor, kind=NotificationKind.REREVIEW).exists()
    # The live revision is the current one: its re-review is blocked until the citation is dealt with.
    assert [c.blocking for c in retracted_checks(article)] == [True]
    page = client.get(f"/articles/{article.slug}/")
    assert page.status_code == 200
    assert "a source this version cites was retracted" in page.content.decode()
    assert AuditEvent.objects.filter(action="article.start_rereview", article_id=article.pk).exists()


def test_a_retraction_no_article_cites_changes_no_article(api, author, editor, board):
    article = reviewed_article(author, editor, [board], title="Do statins prevent heart attacks?", body=BODY,
                               references=references())  # fmt: skip
    assert post(api, editor, {"pmid": "1", "note": "Unrelated."}).status_code == 201
    assert retracted_checks(article) == []
    assert AuditEvent.objects.filter(action="retraction.create").count() == 1


def test_a_check_goes_once_the_reference_is_removed(author, editor, board, django_capture_on_commit_callbacks):
    article = reviewed_article(author, editor, [board], state=ArticleState.CHANGES_REQUESTED,
                               title="Do statins prevent heart attacks?", body=BODY,
                               references=references())  # fmt: skip
    retractions.add_reference_retraction(actor=editor, doi=RETRACTED_DOI, note="Retracted.")
    [check] = retracted_checks(article)
    replacement = references(doi="10.1056/NEJMoa0807646")
    replacement[1]["citation"] = "Rosuvastatin to prevent vascular events (JUPITER)"
    with django_capture_on_commit_callbacks(execute=True):
        article_services.edit_article(
            Article.objects.get(pk=article.pk), actor=author, references=replacement, change_summary="New source"
        )
    check.refresh_from_db()
    assert check.status == AnnotationStatus.RESOLVED and check.resolved_by is None


# -- the endpoint --------------------------------------------------------------------------------------------


def test_the_identifier_is_stored_normalised_and_audited(api, editor):
    response = post(api, editor, {"doi": " https://doi.org/10.1000/ABC.Def ", "note": "Retracted."})
    assert response.status_code == 201
    assert response.json() | {"id": 0, "created_at": ""} == {
        "id": 0, "doi": "10.1000/abc.def", "pmid": "", "identifier": "doi:10.1000/abc.def", "note": "Retracted.",
        "created_by": "editor", "created_at": "",
    }  # fmt: skip
    response = post(api, editor, {"pmid": "PMID: 0012345", "note": "Retracted."})
    assert response.status_code == 201 and response.json()["pmid"] == "12345"
    event = AuditEvent.objects.get(action="retraction.create", object_id=str(response.json()["id"]))
    assert event.actor == editor and event.after == {"doi": "", "pmid": "12345", "note": "Retracted."}


def test_the_list_is_paginated_for_editors_auditors_and_board(api, editor, auditor, board):
    post(api, editor, {"doi": "10.1000/one", "note": "First."})
    post(api, editor, {"pmid": "222", "note": "Second."})
    for user in (editor, auditor, board):
        response = api.as_user(user).get(PATH)
        assert response.status_code == 200
        data = response.json()
        assert set(data) == {"count", "next", "previous", "results"} and data["count"] == 2
        assert [r["identifier"] for r in data["results"]] == ["doi:10.1000/one", "pmid:222"]


@pytest.mark.parametrize("who", ["author", "board", "auditor"])
def test_only_editors_add(request, api, who):
    user = request.getfixturevalue(who)
    response = post(api, user, {"doi": "10.1000/xyz", "note": "Retracted."})
    assert response.status_code == 403
    assert set(response.json()) >= {"detail", "code"}
    assert not ReferenceRetraction.objects.exists()


def test_an_author_may_not_read_the_list(api, author):
    assert api.as_user(author).get(PATH).status_code == 403


def test_anonymous_is_401(api):
    assert api.get(PATH).status_code == 401
    assert api.post(PATH, {"doi": "10.1000/xyz", "note": "x"}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"doi": "10.12/abc", "note": "n"}, "doi"),  # registrant too short
        ({"doi": "doi.org/10.1000/xyz", "note": "n"}, "doi"),  # not a DOI once normalised
        ({"doi": "10.1000", "note": "n"}, "doi"),  # no suffix
        ({"doi": "https://example.org/10.1000/xyz", "note": "n"}, "doi"),
        ({"doi": "https://doi.org/10.1000/" + "x" * 250, "note": "n"}, "doi"),  # longer than the column
        ({"pmid": "12a45", "note": "n"}, "pmid"),
        ({"pmid": "١٢٣٤٥", "note": "n"}, "pmid"),  # Arabic-Indic digits: not ASCII
        ({"pmid": "1234567890", "note": "n"}, "pmid"),  # ten digits
        ({"pmid": "0", "note": "n"}, "pmid"),
        ({"doi": "10.1000/xyz", "pmid": "12345", "note": "n"}, "doi"),  # both
        ({"note": "n"}, "doi"),  # neither
        ({"doi": "", "pmid": " ", "note": "n"}, "pmid"),  # neither, blank
        ({"doi": "10.1000/xyz"}, "note"),
        ({"doi": "10.1000/xyz", "note": "   "}, "note"),
    ],
)
def test_malformed_input_is_400_and_changes_nothing(api, editor, data, field):
    response = post(api, editor, data)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"} and field in body["errors"]
    assert not ReferenceRetraction.objects.exists()
    assert not AuditEvent.objects.filter(action="retraction.create").exists()


def test_the_same_work_twice_is_409(api, editor):
    assert post(api, editor, {"doi": "10.1000/xyz", "note": "Retracted."}).status_code == 201
    response = post(api, editor, {"doi": "https://doi.org/10.1000/XYZ", "note": "Again."})
    assert response.status_code == 409 and response.json()["code"] == "already_listed"
    assert ReferenceRetraction.objects.count() == 1


def test_a_withdrawn_article_is_left_alone(author, editor):
    article = make_article(author, title="Do statins prevent heart attacks?", body=BODY, references=references())
    workflow.submit_article(article, actor=author)
    workflow.withdraw_article(article, actor=author, comment="Not needed")
    retractions.add_reference_retraction(actor=editor, doi=RETRACTED_DOI, note="Retracted.")
    assert retracted_checks(article) == []


def test_the_recheck_after_the_commit_flags_an_article_the_addition_missed(
    author, editor, board, django_capture_on_commit_callbacks
):
    """An article submitted while the retraction's transaction ran (simulated: the entry written directly) is
    flagged by the recheck the addition queues for after its commit; running it again raises nothing twice."""
    article = reviewed_article(author, editor, [board], title="Do statins prevent heart attacks?", body=BODY,
                               references=references())  # fmt: skip
    retraction = ReferenceRetraction.objects.create(doi=RETRACTED_DOI.lower(), note="Retracted.", created_by=editor)
    assert retracted_checks(article) == []
    assert retractions.recheck_citing_articles(retraction.pk) == 1
    assert retractions.recheck_citing_articles(retraction.pk) == 0
    assert [c.blocking for c in retracted_checks(article)] == [True]
    with django_capture_on_commit_callbacks() as callbacks:
        retractions.add_reference_retraction(actor=editor, pmid="777", note="Queues its recheck.")
    assert len(callbacks) == 1
    assert OutboxMessage.objects.filter(kind=retractions.RECHECK_KIND).count() == 1
