"""Records a public "Approved" rests on are held to the audit events that created them: a decision or an
approval moved to another revision, an edited revision, a row with no event, are each named (API.md
"Audit"; RELIABILITY.md §1, test 8)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from articles.models import Article, PublishedVersion, Revision
from editorial.services import publishing
from editorial.verification import verify_audit
from reviewers.models import Decision, RevisionApproval
from reviewers.selectors import review_statuses
from tests.audit.builders import drop_append_only_triggers, sql
from tests.factories import reviewed_article
from tests.pages.public.helpers import new_version, references

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_revisions(author, editor, board, django_capture_on_commit_callbacks):
    """Revision 1 approved and live as v1; revision 2 submitted, not approved."""
    article = reviewed_article(author, editor, [board], state="approved")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.request_publication(article, actor=editor)
    article = new_version(
        Article.objects.get(pk=article.pk), author=author, body="New text [1].", references=references(1),
        change_summary="Rewritten",
    )  # fmt: skip
    return Article.objects.get(pk=article.pk)


def named(result) -> set[tuple[str, int]]:
    return {(p["record"], p["id"]) for p in result["records"]}


def test_intact_records_match_their_events(two_revisions):
    result = verify_audit()
    assert (result["ok"], result["records"]) == (True, [])


def test_records_refuse_changes_in_the_database(two_revisions):
    approval = RevisionApproval.objects.get()
    for statement, params in (
        ("UPDATE reviewers_revisionapproval SET revision_id = %s WHERE id = %s", [2, approval.pk]),
        ("UPDATE reviewers_decision SET verdict = 'approve'", []),
        ("DELETE FROM reviewers_decision", []),
        ("UPDATE articles_revision SET body = 'rewritten'", []),
        ("DELETE FROM articles_reference", []),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            sql(statement, params)
    assert verify_audit()["ok"] is True


def test_an_approval_moved_to_another_revision_is_named(two_revisions):
    approval = RevisionApproval.objects.get()
    new_revision = two_revisions.current_revision
    assert review_statuses(two_revisions, [new_revision.pk])[new_revision.pk] == "submitted"
    drop_append_only_triggers()
    assert sql("UPDATE reviewers_revisionapproval SET revision_id = %s WHERE id = %s",
               [new_revision.pk, approval.pk]) == 1  # fmt: skip
    # The public status flips: the unreviewed revision now reads as approved ...
    assert review_statuses(two_revisions, [new_revision.pk])[new_revision.pk] == "approved"
    # ... and verification names the moved row.
    result = verify_audit()
    assert result["ok"] is False and result["reason"] == "record_mismatch"
    assert named(result) == {("reviewers.revisionapproval", approval.pk)}
    [problem] = result["records"]
    assert "revision" in problem["problem"] and problem["event"] is not None
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit", stdout=out)
    assert exit_.value.code == 1
    assert f"reviewers.revisionapproval #{approval.pk}: differs from its creation event in revision" in out.getvalue()


def test_a_decision_moved_to_another_revision_is_named(two_revisions):
    decision = Decision.objects.get()
    drop_append_only_triggers()
    sql(
        "UPDATE reviewers_decision SET revision_id = %s WHERE id = %s", [two_revisions.current_revision_id, decision.pk]
    )
    result = verify_audit()
    assert ("reviewers.decision", decision.pk) in named(result)
    problems = [p["problem"] for p in result["records"] if p["id"] == decision.pk]
    assert any("revision" in p for p in problems)
    assert "its signature is not on its revision's content" in problems


def test_an_edited_revision_is_named(two_revisions):
    revision = Revision.objects.get(article=two_revisions, number=1)
    drop_append_only_triggers()
    sql("UPDATE articles_revision SET plain_language_summary = %s WHERE id = %s", ["Unreviewed words", revision.pk])
    result = verify_audit()
    assert result["records"] == [
        {
            "record": "articles.revision",
            "id": revision.pk,
            "problem": "its content no longer has its hash",
            "event": result["records"][0]["event"],
        }
    ]


def test_a_decision_with_no_event_is_named(two_revisions):
    decision = Decision.objects.get()
    drop_append_only_triggers()
    # A forged approval row: a copy of a real one, written without its event.
    columns = [f.column for f in Decision._meta.local_fields if f.column != "id"]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    # The same values in another review round (the unique key is per round).
    selected = ", ".join("round + 5" if c == "round" else connection.ops.quote_name(c) for c in columns)
    sql(f"INSERT INTO reviewers_decision ({quoted}) SELECT {selected} FROM reviewers_decision WHERE id = %s",
        [decision.pk])  # fmt: skip
    forged = Decision.objects.order_by("-pk").first()
    assert forged.pk != decision.pk
    result = verify_audit()
    assert ("reviewers.decision", forged.pk) in named(result)
    assert {"record": "reviewers.decision", "id": forged.pk, "problem": "no audit event created it", "event": None} in (
        result["records"]
    )


def test_a_version_pointed_at_another_revision_is_named(two_revisions):
    version = PublishedVersion.objects.get()
    drop_append_only_triggers()
    sql("UPDATE articles_publishedversion SET revision_id = %s WHERE id = %s",
        [two_revisions.current_revision_id, version.pk])  # fmt: skip
    assert named(verify_audit()) == {("articles.publishedversion", version.pk)}
