"""An article's page token (editorial.page_versions) is replaced when a transaction first changes the article
and again after it commits: not once an event, and never less than that."""

from __future__ import annotations

import contextlib

import pytest
from django.db import transaction

from editorial import page_versions
from editorial.audit import record_event
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def replaced(monkeypatch):
    """The article ids whose token was replaced, in order."""
    calls = []
    original = page_versions._replace

    def counting(article_id):
        calls.append(article_id)
        original(article_id)

    monkeypatch.setattr(page_versions, "_replace", counting)
    return calls


def event(article, n=0):
    record_event("test.step", actor=None, obj=article, article_id=article.pk, after={"n": n})


def test_many_events_about_an_article_replace_its_token_once_then_after_the_commit(
    author, replaced, django_capture_on_commit_callbacks
):
    article = make_article(author)
    page_versions.remember(article.pk, article.slug)
    before = page_versions.token(article.slug)
    replaced.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for n in range(5):
                event(article, n)
            during = page_versions.token(article.slug)
            assert replaced == [article.pk] and during != before
        assert page_versions.token(article.slug) == during  # not committed yet
    assert replaced == [article.pk, article.pk]
    assert page_versions.token(article.slug) not in (before, during)


def test_each_article_of_a_transaction_is_replaced(author, replaced, django_capture_on_commit_callbacks):
    first, second = make_article(author, title="First"), make_article(author, title="Second")
    replaced.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):
            event(first, n)
            event(second, n)
    assert sorted(replaced) == sorted([first.pk, second.pk] * 2)


def test_a_replacement_asked_for_in_a_rolled_back_savepoint_is_asked_for_again(
    author, replaced, django_capture_on_commit_callbacks
):
    article = make_article(author)
    page_versions.remember(article.pk, article.slug)
    replaced.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with contextlib.suppress(ZeroDivisionError), transaction.atomic():
            event(article)
            raise ZeroDivisionError
        # Django dropped the savepoint's after-commit callback: this event asks for both again.
        event(article)
        event(article)
        assert replaced == [article.pk, article.pk]
        stored = page_versions.token(article.slug)
    assert replaced == [article.pk, article.pk, article.pk]
    assert page_versions.token(article.slug) != stored


def test_the_next_transaction_replaces_the_token_again(author, replaced, django_capture_on_commit_callbacks):
    article = make_article(author)
    replaced.clear()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            event(article)
            event(article)
    assert replaced == [article.pk] * 4
