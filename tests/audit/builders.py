"""Real audit events, made through the services, for the audit tests; and the attacker's first step."""

from __future__ import annotations

from django.db import connection

from articles.models import Article
from editorial import protection
from editorial.exceptions import Forbidden
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import workflow
from tests.factories import BODY, PASSWORD, make_article, sign_decision

EDITED_BODY = BODY.replace("fewer events", "fewer cardiovascular events")


def sql(statement: str, params=()) -> int:
    """Run a statement as an attacker with database access would; the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def full_review(author, editor, board, board2, *, title: str = "Do statins prevent heart attacks?") -> Article:
    """One article through every kind of event: revisions, transitions, assignments, declarations, decisions.

    17 events: create, revision, submit, 2 assignments, 2 declarations, start_review, a failed signature,
    a request-changes decision and its transition, a revision, revise, submit, start_review, an approval
    decision and the approval.
    """
    article = make_article(author, title=title)
    article_services.edit_article(article, actor=author, body=EDITED_BODY, change_summary="Wording")
    workflow.submit_article(article, actor=author)
    for member in (board, board2):
        assignment_services.assign_reviewer(article, actor=editor, reviewer_username=member.username)
        assignment_services.declare_conflict(article, actor=member, has_conflict=False)
    workflow.start_review(article, actor=editor)
    try:
        sign_decision(article, verdict="approve", actor=board, password="wrong password")
    except Forbidden:
        pass
    sign_decision(article, verdict="request_changes", actor=board, comment="Cite the 2019 update",
                             password=PASSWORD)  # fmt: skip
    article_services.edit_article(article, actor=author, body=BODY, change_summary="Back to the first wording")
    workflow.revise_article(article, actor=author, comment="Addressed the review")
    workflow.submit_article(article, actor=author)
    workflow.start_review(article, actor=editor)
    sign_decision(article, verdict="approve", actor=board2, comment="Accurate", password=PASSWORD)
    return Article.objects.get(pk=article.pk)


def withdrawn_draft(author, reason: str = "No longer needed", **kwargs) -> Article:
    """Two events: create and withdraw (with `reason`)."""
    article = make_article(author, **kwargs)
    return workflow.withdraw_article(article, actor=author, comment=reason)


def chain_of_about_30(author, editor, board, board2) -> list[Article]:
    """Two full reviews and a withdrawn draft: 36 events."""
    return [
        full_review(author, editor, board, board2, title="Do statins prevent heart attacks?"),
        withdrawn_draft(author, title="Is aspirin safe every day?"),
        full_review(author, editor, board, board2, title="Does exercise lower blood pressure?"),
    ]


def drop_append_only_triggers() -> None:
    """What an attacker with DDL rights does first: every protective trigger dropped. DDL is transactional
    on SQLite and PostgreSQL, so inside a plain django_db test it is rolled back with the test's transaction."""
    protection.remove(connection)
