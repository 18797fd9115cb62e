"""Overdue review reminders: once per overdue assignment per day, none once the reviewer has decided."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from editorial.models import Notification
from editorial.notifications import remind_overdue_assignments
from editorial.services import assignments, workflow
from tests.factories import PASSWORD, make_article, sign_decision

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_today(author, editor, board, board2):
    """An article under review, quorum 2, both members assigned with today as the due date."""
    article = make_article(author, quorum=2)
    workflow.submit_article(article, actor=author)
    today = timezone.now().date()
    for member in (board, board2):
        assignments.assign_reviewer(article, actor=editor, reviewer_username=member.username, due=today)
        assignments.declare_conflict(article, actor=member, has_conflict=False)
    workflow.start_review(article, actor=editor)
    return article, today


def _overdue(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="overdue").order_by("id"))


def test_one_reminder_per_overdue_assignment_per_day(due_today, board, board2, run_async):
    article, today = due_today
    day = today + datetime.timedelta(days=3)
    with run_async():
        assert remind_overdue_assignments(today=today) == 0  # due today is not overdue yet
    assert Notification.objects.filter(kind="overdue").count() == 0

    with run_async():
        assert remind_overdue_assignments(today=day) == 2
        remind_overdue_assignments(today=day)  # the beat runs every six hours: same day, same key
    for member in (board, board2):
        [reminder] = _overdue(member)
        assert reminder.article_id == article.pk
        assert today.isoformat() in reminder.body

    with run_async():
        remind_overdue_assignments(today=day + datetime.timedelta(days=1))
    assert [len(_overdue(m)) for m in (board, board2)] == [2, 2]


def test_no_reminder_once_the_reviewer_decided_on_the_current_revision(due_today, board, board2, run_async):
    article, today = due_today
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)  # 1 of 2: still under review
    with run_async():
        assert remind_overdue_assignments(today=today + datetime.timedelta(days=2)) == 1
    assert _overdue(board) == []
    assert len(_overdue(board2)) == 1


def test_no_reminder_after_the_review_is_over(due_today, board, board2, run_async):
    article, today = due_today
    sign_decision(article, verdict="reject", actor=board, password=PASSWORD, comment="Unsafe")
    with run_async():
        assert remind_overdue_assignments(today=today + datetime.timedelta(days=2)) == 0
    assert not Notification.objects.filter(kind="overdue").exists()
