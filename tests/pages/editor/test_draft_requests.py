"""A reader's follow-up question becomes work: an editor asks an author for a new answer, the author drafts it
from the request, and when it is first published the reader who left an address is told, once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from articles.models import Article, ArticleState
from editorial.models import AuditEvent, DraftRequest, Notification, OutboxMessage
from editorial.outbox import run_message
from editorial.services import draft_requests
from tests.factories import BODY, REFERENCES, make_user, reviewed_article
from tests.pages.editor.helpers import HOSTILE, assert_inert, reader_report, signed_in
from tests.pages.workspace.helpers import shown
from tests.pages.workspace.test_author_pages import article_data

pytestmark = pytest.mark.django_db

QUESTION = "Should I keep taking my statin\nbefore a knee operation next month?"


def request_url(report):
    return reverse("reader-report-draft-request", args=[report.pk])


@pytest.fixture
def live(author, editor, board, publish):
    return publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)


@pytest.fixture
def question(live):
    return reader_report(live, kind="question", message=QUESTION, email="reader@example.org")


def test_an_editor_turns_a_question_into_a_draft_request_for_an_author(editor, author, live, question):
    page = signed_in(editor).get(reverse("reader-reports")).content.decode()
    assert f'id="draft-request-{question.pk}"' in page
    assert 'value="Should I keep taking my statin before a knee operation next month?"' in page  # one line
    response = signed_in(editor).post(request_url(question), {"author": "author", "title": ""}, follow=True)
    assert "A new answer was requested; the author is told." in shown(response)
    asked = DraftRequest.objects.get()
    assert (asked.author, asked.requested_by, asked.asked_on_id, asked.article_id) == (author, editor, live.pk, None)
    assert asked.title == "Should I keep taking my statin before a knee operation next month?"
    question.refresh_from_db()
    assert (question.status, question.handled_by) == ("draft_requested", editor)
    event = AuditEvent.objects.get(action="draft_request.create")
    assert event.actor == editor and event.after["author"] == "author"
    assert OutboxMessage.objects.filter(kind="notify", payload__kind="draft_request").exists()


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_only_editors_request_drafts(role, question):
    response = signed_in(make_user(role, username=f"{role}-x")).post(request_url(question), {"author": "author"})
    assert response.status_code == 403
    assert not DraftRequest.objects.exists() and not AuditEvent.objects.filter(action="draft_request.create").exists()


def test_wrong_state_and_bad_input_change_nothing(editor, author, live, question):
    client = signed_in(editor)
    problem = reader_report(live, kind="problem", message="The dose is wrong.")
    refused = {
        "problem": client.post(request_url(problem), {"author": "author"}, follow=True),
        "nobody": client.post(request_url(question), {"author": "nobody"}, follow=True),
        "not an author": client.post(request_url(question), {"author": editor.username}, follow=True),
        "line break": client.post(request_url(question), {"author": "author", "title": "A\r\nBcc: x"}, follow=True),
    }
    assert "Only a follow-up question becomes a new answer" in shown(refused["problem"])[0]
    assert shown(refused["nobody"]) == ["Choose an active author for the new answer."]
    assert shown(refused["not an author"]) == ["Choose an active author for the new answer."]
    assert shown(refused["line break"]) == ["The title must be one line."]
    assert not DraftRequest.objects.exists()
    client.post(request_url(question), {"author": "author"})
    again = client.post(request_url(question), {"author": "author"}, follow=True)
    assert shown(again)[-1] == "This report was already new answer requested."
    assert DraftRequest.objects.count() == 1
    assert client.post(reverse("reader-report-draft-request", args=[999999]), {"author": "author"}).status_code == 404


def test_a_hostile_question_is_inert_on_the_pages_that_show_it(editor, author, live):
    report = reader_report(live, kind="question", message=HOSTILE)
    assert_inert(signed_in(editor).get(reverse("reader-reports")).content.decode())
    signed_in(editor).post(request_url(report), {"author": "author", "title": HOSTILE})
    asked = DraftRequest.objects.get()
    assert_inert(signed_in(author).get(reverse("author-desk")).content.decode())
    assert_inert(signed_in(author).get(f"{reverse('article-new')}?request={asked.pk}").content.decode())


def test_the_author_drafts_the_answer_from_the_request(editor, author, question):
    asked = draft_requests.request_answer_draft(question, actor=editor, author_username="author")
    client = signed_in(author)
    desk = client.get(reverse("author-desk")).content.decode()
    assert f'id="draft-request-{asked.pk}"' in desk and f"?request={asked.pk}" in desk
    form = client.get(f"{reverse('article-new')}?request={asked.pk}").content.decode()
    assert 'id="draft-request"' in form and "knee operation" in form and f'value="{asked.pk}"' in form
    response = client.post(reverse("article-new"), article_data(title=asked.title, draft_request=str(asked.pk)))
    article = Article.objects.exclude(pk=question.article_id).get(
        created_by=author, current_revision__title=asked.title
    )
    assert response["Location"] == reverse("workspace", args=[article.pk])
    asked.refresh_from_db()
    assert asked.article == article
    assert AuditEvent.objects.filter(action="draft_request.start", actor=author, article_id=article.pk).exists()
    assert f'id="draft-request-{asked.pk}"' not in client.get(reverse("author-desk")).content.decode()


def test_only_the_requested_author_drafts_it_and_only_once(editor, author, question):
    asked = draft_requests.request_answer_draft(question, actor=editor, author_username="author")
    other = make_user("author", username="other-author")
    data = article_data(title=asked.title, draft_request=str(asked.pk))
    refused = signed_in(other).post(reverse("article-new"), data, follow=True)
    assert "No such draft request waiting for you." in shown(refused)
    assert not Article.objects.filter(created_by=other).exists()
    assert signed_in(other).get(f"{reverse('article-new')}?request={asked.pk}").status_code == 200  # a plain form
    draft_requests.draft_answer(asked, actor=author, title=asked.title, body=BODY, references=REFERENCES)
    twice = signed_in(author).post(reverse("article-new"), data, follow=True)
    assert "No such draft request waiting for you." in shown(twice)
    assert Article.objects.filter(created_by=author, current_revision__title=asked.title).count() == 1


def test_the_reader_is_told_once_when_the_answer_is_first_published(author, editor, board, publish, question):
    asked = draft_requests.request_answer_draft(question, actor=editor, author_username="author")
    answer = draft_requests.draft_answer(
        asked, actor=author, title="Statins before surgery", body=BODY, references=REFERENCES
    )
    answer = reviewed_article(author, editor, [board], state=ArticleState.APPROVED, article=answer)
    mail.outbox.clear()
    publish(answer, editor)
    to_reader = [m for m in mail.outbox if m.to == ["reader@example.org"]]
    assert len(to_reader) == 1
    assert to_reader[0].subject == "Your question was answered: Statins before surgery"
    assert f"/articles/{answer.slug}/" in to_reader[0].body and "knee operation" in to_reader[0].body
    asked.refresh_from_db()
    assert asked.reader_told_at is not None

    message = OutboxMessage.objects.get(kind="reader_answer")
    OutboxMessage.objects.filter(pk=message.pk).update(status="pending")
    run_message(message.pk)  # a redelivery finds the reader told
    assert len([m for m in mail.outbox if m.to == ["reader@example.org"]]) == 1
    assert not Notification.objects.filter(recipient__email="reader@example.org").exists()  # not a user


def test_a_reader_without_an_address_is_not_written_to(author, editor, board, publish, live):
    report = reader_report(live, kind="question", message="What about children?")
    asked = draft_requests.request_answer_draft(report, actor=editor, author_username="author")
    answer = draft_requests.draft_answer(asked, actor=author, title="Statins in children", body=BODY,
                                         references=REFERENCES)  # fmt: skip
    answer = reviewed_article(author, editor, [board], state=ArticleState.APPROVED, article=answer)
    publish(answer, editor)
    assert not OutboxMessage.objects.filter(kind="reader_answer").exists()
    assert DraftRequest.objects.get().reader_told_at is None
