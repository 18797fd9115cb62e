"""Helpers for the editor and auditor page tests: signed-in clients, publishing in-process, reader reports."""

from __future__ import annotations

import contextlib

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from editorial.services import publishing
from editorial.services.reader_reports import submit_reader_report

HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def assert_inert(html: str) -> None:
    """Nothing a user typed turned into markup: the hostile sample appears only escaped."""
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html


def publish(capture, article: Article, editor, **kwargs):
    """Request a publication and run the publishing task in-process, as the embedded default does after commit."""
    with capture(execute=True):
        publishing.request_publication(article, actor=editor, **kwargs)
    return Article.objects.select_related("live_version").get(pk=article.pk)


def reader_report(article: Article, *, kind: str = "problem", message: str = "The dose is wrong.", **kwargs):
    article = Article.objects.select_related("live_version").get(pk=article.pk)
    return submit_reader_report(article.live_version, kind=kind, message=message, client="203.0.113.9", **kwargs)


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured.captured_queries)


@contextlib.contextmanager
def no_audit_change():
    """Assert that the block appends no audit event (nothing changed)."""
    from editorial.models import AuditEvent

    before = AuditEvent.objects.count()
    yield
    assert AuditEvent.objects.count() == before
