"""The per-article timeline: every event with printed names and UTC times, signature lines, revision diffs."""

import pytest
from django.urls import reverse

from articles.models import ArticleState
from editorial.models import AuditEvent
from editorial.services import articles as article_services
from editorial.services import assignments, workflow
from reviewers.models import Decision
from tests.factories import BODY, PASSWORD, make_article, make_user, reviewed_article, sign_decision
from tests.pages.editor.helpers import HOSTILE, assert_inert, count_queries, signed_in

pytestmark = pytest.mark.django_db


def url(article):
    return reverse("audit-article", args=[article.pk])


def test_timeline_with_signature_lines(author, editor, board, auditor, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    response = signed_in(auditor).get(url(article))
    assert response.status_code == 200
    html = response.content.decode()
    timeline = html[html.index('id="timeline"') :]
    events = AuditEvent.objects.filter(article_id=article.pk)
    for event in events:
        assert f'id="event-{event.seq}"' in timeline and event.action in timeline
    decision = Decision.objects.get(article=article)
    line = f"{decision.signed_name}, {decision.signed_at:%Y-%m-%d %H:%M:%S} UTC, Approved for medical accuracy"
    assert line in timeline
    create = events.get(action="article.create")
    assert f"{create.at:%Y-%m-%d %H:%M:%S} UTC" in timeline
    assert create.actor_name in timeline  # the printed name
    assert "v1" in html  # the versions table


@pytest.mark.parametrize("role", ["auditor", "editor"])
def test_readers(role, author):
    article = make_article(author)
    assert signed_in(make_user(role)).get(url(article)).status_code == 200


@pytest.mark.parametrize("role", ["author", "board"])
def test_other_roles_are_forbidden(role, author):
    article = make_article(author)
    user = author if role == "author" else make_user(role)
    assert signed_in(user).get(url(article)).status_code == 403


def test_unknown_article_is_404(auditor):
    assert signed_in(auditor).get(reverse("audit-article", args=[98765])).status_code == 404


def revise(article, author, body, title=None):
    return article_services.edit_article(article, actor=author, body=body, title=title, change_summary="Edit")


def test_diff_of_any_two_revisions(author, auditor):
    article = make_article(author)
    revise(article, author, BODY.replace("Statins lower", "Statins reduce"))
    revise(article, author, BODY + "\n\nA third paragraph.")
    client = signed_in(auditor)
    html = client.get(url(article)).content.decode()
    assert 'id="diff-a"' in html and 'id="diff-b"' in html and 'for="diff-a"' in html
    default = html[html.index('id="diff"') :]
    assert "Revision 2" in default and "Revision 3" in default  # the latest two by default
    html = client.get(url(article), {"a": 1, "b": 3}).content.decode()
    diff = html[html.index('id="diff"') :]
    assert "Revision 1" in diff and "third" in diff  # HtmlDiff writes spaces as &nbsp;


def test_diff_of_hostile_content_is_inert(author, auditor):
    article = make_article(author)
    revise(article, author, BODY + "\n\n" + HOSTILE, title="Title " + HOSTILE)
    html = signed_in(auditor).get(url(article), {"a": 1, "b": 2}).content.decode()
    assert "&lt;script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_unknown_revisions_are_a_message(author, auditor):
    article = make_article(author)
    revise(article, author, BODY + "\n\nMore.")
    response = signed_in(auditor).get(url(article), {"a": 1, "b": 7})
    assert response.status_code == 200
    assert "Choose two revisions of this article to compare." in response.content.decode()


def test_hostile_reason_is_inert(author, auditor):
    article = make_article(author)
    workflow.withdraw_article(article, actor=author, comment=HOSTILE)
    assert_inert(signed_in(auditor).get(url(article)).content.decode())


def test_query_count_does_not_grow_with_events(author, editor, board, auditor, django_assert_max_num_queries):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    workflow.revise_article(article, actor=author)
    revise(article, author, BODY + "\n\nUpdated.")
    client = signed_in(auditor)
    small = count_queries(lambda: client.get(url(article)))
    # A second round: more assignments, declarations, signed decisions, an approval and a version.
    workflow.submit_article(article, actor=author)
    others = [make_user("board") for _ in range(3)]
    for member in others:
        assignments.assign_reviewer(article, actor=editor, reviewer_username=member.username)
        assignments.declare_conflict(article, actor=member, has_conflict=False)
    workflow.start_review(article, actor=editor)
    article_services.edit_article(article, actor=editor, quorum=3)
    for member in others:
        sign_decision(article, verdict="approve", actor=member, password=PASSWORD)
    assert AuditEvent.objects.filter(article_id=article.pk).count() > 20
    with django_assert_max_num_queries(small):
        response = client.get(url(article))
    # Decisions (1 + 3) and the approval records (1 + 3).
    assert response.content.decode().count('class="signature"') == 4 + 4
