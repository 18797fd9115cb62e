"""The audit event is written in the transaction of the change it records: both commit or neither."""

import pytest
from django.db import DatabaseError, connection, transaction

from articles.models import Article
from editorial.audit import record_event, verify_chain
from editorial.models import AuditChainHead, AuditEvent
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_record_event_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_event("article.test", actor=None, obj=None)
    assert not AuditEvent.objects.exists()
    assert AuditChainHead.objects.get(pk=1).seq == 0


def test_a_failed_audit_append_rolls_back_the_change():
    author = make_user("author", username="author")
    make_article(author, title="Kept?")

    def disk_full_on_append(execute, sql, params, many, context):
        if "INSERT INTO" in sql and AuditEvent._meta.db_table in sql:
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(disk_full_on_append), pytest.raises(DatabaseError, match="disk full"):
        make_article(author, title="Lost?")

    assert list(Article.objects.values_list("slug", flat=True)) == ["kept"]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["article.create"]
    assert verify_chain().ok
    make_article(author, title="After?")
    assert verify_chain().ok and verify_chain().checked == 2


def test_an_event_recorded_in_a_rolled_back_transaction_leaves_no_trace():
    author = make_user("author", username="author")
    article = make_article(author)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record_event("article.test", actor=author, obj=article, article_id=article.pk)
        raise ZeroDivisionError
    assert not AuditEvent.objects.filter(action="article.test").exists()
    head = AuditChainHead.objects.get(pk=1)
    assert head.seq == AuditEvent.objects.count() == 1
    assert verify_chain().ok
