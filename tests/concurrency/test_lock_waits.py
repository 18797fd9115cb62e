"""What a writer sees after waiting for another one's lock on PostgreSQL: found by the soak (tests/tasks/
test_soak.py), each reproduced here with the product's own locks held in a second connection."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from articles.models import ArticleState
from editorial import outbox
from editorial.audit import record_event, verify_chain
from editorial.models import OutboxMessage, OutboxStatus
from editorial.services import publishing
from editorial.services.common import lock_article
from reviewers.models import Assignment
from tests.factories import make_user, reviewed_article

from ..tasks.conftest import wait_for
from ..tasks.test_faults import _waiting_backend_pids, holding_row_lock

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _team():
    return make_user("author", username="author"), make_user("editor", username="editor"), make_user("board")


def test_a_request_that_waited_for_a_publication_answers_with_the_new_version(broker, api):
    """The worker publishes (and holds the article) while the author's request waits for it. PostgreSQL then
    returns the newest article row joined against the older snapshot: the new live version came back as
    none, and the answer was a 500."""
    author, editor, board = _team()
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    request = publishing.request_publication(article, actor=editor)  # in Redis; no worker takes it
    published, release = threading.Event(), threading.Event()

    def publish_and_hold():
        try:
            with transaction.atomic():
                publishing.run_publication(request.pk)
                published.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=publish_and_hold)
    holder.start()
    assert published.wait(20)
    answers = []

    def revise():
        try:
            answers.append(
                api.as_user(author).post(f"/api/v1/articles/{article.pk}/transitions/revise/", {}, format="json")
            )
        finally:
            connection.close()

    requester = threading.Thread(target=revise)
    requester.start()
    wait_for(_waiting_backend_pids, 20, message="the request to wait for the article")
    release.set()
    holder.join(30)
    requester.join(30)
    assert answers and answers[0].status_code == 200, answers and answers[0].content
    assert answers[0].json()["live_version"] == 1
    assert answers[0].json()["state"] == ArticleState.DRAFT


def test_an_article_lock_and_the_chain_head_taken_in_either_order_do_not_deadlock():
    """A request holds its article and then appends to the audit chain; another transaction holds the chain
    head and then writes a row that refers to that article. With FOR UPDATE on the article the second one
    waited for the first (a foreign key takes a key-share lock on the row it refers to): a deadlock, which
    PostgreSQL broke by failing one of them. The article lock is FOR NO KEY UPDATE: both finish."""
    author, editor, board = _team()
    article = reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED)
    other_board = make_user("board", username="board2")
    article_locked, head_held = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def article_then_head():
        try:
            with transaction.atomic():
                lock_article(article.pk)
                article_locked.set()
                assert head_held.wait(20)
                record_event("test.article_then_head", actor=None, obj=article, article_id=article.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def head_then_reference():
        try:
            assert article_locked.wait(20)
            with transaction.atomic():
                record_event("test.head_then_reference", actor=None, obj=article, article_id=article.pk)
                head_held.set()
                Assignment.objects.create(article_id=article.pk, reviewer=other_board, assigned_by=editor)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=article_then_head), threading.Thread(target=head_then_reference)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(40)
    assert errors == []
    assert Assignment.objects.filter(article=article, reviewer=other_board).exists()
    assert verify_chain().ok


def test_a_task_whose_message_row_is_held_a_moment_waits_and_runs_it():
    """The sender marks a message handed over just after sending it; a fast worker's task can reach the row
    while that UPDATE holds it. The task skipped it then ("skipped"), and the message waited a minute for
    the sweeper: it waits for the row now, and runs the message."""
    author = make_user("author", username="author")
    message = OutboxMessage.objects.create(
        kind="notify",
        payload={"kind": "submitted", "event_key": "held:1", "recipient_ids": [author.pk], "subject": "s", "body": "b"},
        dedupe_key="held:1",
    )
    results = []

    def task():
        try:
            results.append(outbox.run_message(str(message.pk)))
        finally:
            connection.close()

    with holding_row_lock(OutboxMessage, message.pk):
        runner = threading.Thread(target=task)
        runner.start()
        wait_for(_waiting_backend_pids, 20, message="the task to wait for its message's row")
    runner.join(30)
    assert results == ["notify"]
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE
