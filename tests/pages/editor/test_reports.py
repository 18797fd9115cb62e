"""Reader reports: open ones first with their message and email, triage to an outcome, handled ones listed."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from articles.models import Article, ArticleState
from editorial.models import ReaderReport
from tests.factories import make_user, reviewed_article
from tests.pages.editor.helpers import HOSTILE, assert_inert, no_audit_change, reader_report, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("reader-reports")


def triage_url(report):
    return reverse("reader-report-triage", args=[report.pk])


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def live(author, editor, board, publish):
    return publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)


def test_open_reports_come_first_and_hostile_messages_are_inert(editor, live):
    handled = reader_report(live, message="Old question", kind="question")
    signed_in(editor).post(triage_url(handled), {"outcome": "answered", "response": "Yes."})
    report = reader_report(live, message=HOSTILE, email="reader@example.org", audience="patient")
    response = signed_in(editor).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f'id="report-{report.pk}"') < html.index(f'id="report-{handled.pk}"')
    assert_inert(html)
    assert "reader@example.org" in html and "v1" in html and f'id="triage-{report.pk}"' in html
    handled_section = html[html.index('id="handled-reports"') :]
    assert "Old question" in handled_section and "Answered" in handled_section and "Yes." in handled_section


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_other_roles_are_forbidden(role):
    assert signed_in(make_user(role)).get(URL).status_code == 403


def test_answer_with_a_hostile_response_is_inert(editor, live):
    report = reader_report(live, kind="question")
    response = signed_in(editor).post(triage_url(report), {"outcome": "answered", "response": HOSTILE}, follow=True)
    report.refresh_from_db()
    assert (report.status, report.response, report.handled_by) == ("answered", HOSTILE, editor)
    assert "Answer recorded." in texts(response)
    assert_inert(response.content.decode())


def test_close_with_a_reason(editor, live):
    report = reader_report(live)
    signed_in(editor).post(triage_url(report), {"outcome": "closed", "response": "Not a problem: the dose is right."})
    report.refresh_from_db()
    assert report.status == "closed" and report.response.startswith("Not a problem")


def test_open_a_revision_sends_the_article_back_to_draft(editor, live):
    report = reader_report(live)
    response = signed_in(editor).post(triage_url(report), {"outcome": "revision_opened", "response": ""}, follow=True)
    report.refresh_from_db()
    assert report.status == "revision_opened"
    assert Article.objects.get(pk=live.pk).state == "draft"
    assert "Revision opened: the article is back with its author as a draft." in texts(response)


def test_closing_without_a_reason_is_a_message(editor, live):
    report = reader_report(live)
    with no_audit_change():
        response = signed_in(editor).post(triage_url(report), {"outcome": "closed", "response": " "}, follow=True)
    assert "Write the answer or the reason." in texts(response)
    assert ReaderReport.objects.get(pk=report.pk).status == "open"


def test_unknown_outcome_is_a_message(editor, live):
    report = reader_report(live)
    with no_audit_change():
        response = signed_in(editor).post(triage_url(report), {"outcome": "ignored", "response": "x"}, follow=True)
    assert "Unknown outcome." in texts(response)


def test_a_handled_report_cannot_be_triaged_again(editor, live):
    report = reader_report(live)
    client = signed_in(editor)
    client.post(triage_url(report), {"outcome": "answered", "response": "First answer"})
    with no_audit_change():
        response = client.post(triage_url(report), {"outcome": "closed", "response": "Second"}, follow=True)
    assert "This report was already answered." in texts(response)
    report.refresh_from_db()
    assert (report.status, report.response) == ("answered", "First answer")


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_triage_by_another_role_is_403(role, editor, live):
    report = reader_report(live)
    with no_audit_change():
        response = signed_in(make_user(role)).post(triage_url(report), {"outcome": "answered", "response": "x"})
    assert response.status_code == 403
    assert ReaderReport.objects.get(pk=report.pk).status == "open"


def test_unknown_report_is_404(editor):
    assert signed_in(editor).post(reverse("reader-report-triage", args=[999]), {"outcome": "closed"}).status_code == 404


def test_triage_needs_the_csrf_token(editor, live):
    report = reader_report(live)
    client = signed_in(editor, enforce_csrf_checks=True)
    assert client.post(triage_url(report), {"outcome": "answered", "response": "x"}).status_code == 403
    assert ReaderReport.objects.get(pk=report.pk).status == "open"


def test_opening_a_revision_of_an_article_that_is_not_approved_is_refused(author, editor, board):
    from articles.models import PublishedVersion, PublishRequest
    from editorial.exceptions import StateConflict
    from editorial.models import ReaderReport
    from editorial.services.publishing import run_publication
    from editorial.services.reader_reports import triage_reader_report
    from tests.factories import reviewed_article

    article = reviewed_article(author, editor, [board], state="under_review", publication_policy="immediate")
    request = PublishRequest.objects.create(
        article=article, revision=article.current_revision, requested_by=editor, status="queued"
    )
    run_publication(request.pk)
    version = PublishedVersion.objects.get(article=article)
    report = ReaderReport.objects.create(article=article, version=version, kind="problem", message="Typo")
    with pytest.raises(StateConflict):
        triage_reader_report(report, actor=editor, outcome="revision_opened")
    report.refresh_from_db()
    assert report.status == "open"
