"""Readers' "Report a problem" and "Have a follow-up question?" forms: anonymous, spam-safe, rate-limited,
landing as ReaderReport rows for the editor desk."""

from __future__ import annotations

import pytest

from editorial.models import AuditEvent, ReaderReport
from editorial.services import publishing
from editorial.services.reader_reports import REPORTS_PER_HOUR
from tests.factories import reviewed_article

from .helpers import new_version, page_url, references

pytestmark = pytest.mark.django_db

THANKS = "Thank you. Your message has reached our editors."


def feedback_url(article) -> str:
    return f"/articles/{article.slug}/feedback/"


def post(client, article, ip="203.0.113.7", **data):
    fields = {"kind": "problem", "message": "The dose in the second paragraph looks wrong.", "email": "", **data}
    return client.post(feedback_url(article), fields, REMOTE_ADDR=ip)


def test_forms_are_on_the_page_with_labels_and_a_honeypot(client, approved_live):
    html = client.get(page_url(approved_live)).content.decode()
    for kind, heading in (("problem", "Report a problem"), ("question", "Have a follow-up question?")):
        assert f'<h3 id="{kind}-heading">{heading}</h3>' in html
        assert f'<form method="post" action="/articles/{approved_live.slug}/feedback/#feedback"' in html
        assert f'<label for="{kind}-message">' in html and f'id="{kind}-message" name="message"' in html
        assert f'<label for="{kind}-email">' in html
        assert f'<input type="hidden" name="kind" value="{kind}">' in html
        assert f'id="{kind}-website" name="website" tabindex="-1"' in html
    # No CSRF token: the page is the same bytes for every reader (the view refuses cross-site posts instead).
    assert "csrfmiddlewaretoken" not in html


def test_a_report_lands_as_a_reader_report(client, approved_live):
    response = post(client, approved_live, email="reader@example.org", version="1", audience="patient")
    assert response.status_code == 302
    assert response.url == f"/articles/{approved_live.slug}/?sent=problem#feedback"
    assert not response.cookies  # no session, no message cookie
    report = ReaderReport.objects.get()
    assert report.kind == "problem" and report.version == approved_live.live_version
    assert report.message == "The dose in the second paragraph looks wrong."
    assert report.email == "reader@example.org" and report.audience == "patient"
    assert report.status == "open"
    assert AuditEvent.objects.filter(action="reader_report.problem", article_id=approved_live.pk).exists()
    page = client.get(response.url)
    assert page.status_code == 200 and THANKS in page.content.decode()
    assert THANKS not in client.get(page_url(approved_live)).content.decode()


def test_a_follow_up_question_on_an_earlier_version(client, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state="approved", publication_policy="immediate"))
    article = publish(
        new_version(article, author=author, body="New [1].", references=references(1), change_summary="v2")
    )
    response = post(client, article, kind="question", message="Does this apply to children?", version="1")
    assert response.status_code == 302 and response.url == f"/articles/{article.slug}/v/1/?sent=question#feedback"
    report = ReaderReport.objects.get()
    assert report.kind == "question" and report.version.number == 1
    # Without a version number the report is about the live version.
    post(client, article, kind="question", message="And for adults?")
    assert ReaderReport.objects.order_by("id").last().version.number == 2


def test_honeypot_looks_like_success_but_stores_nothing(client, approved_live):
    response = post(client, approved_live, website="http://spam.example")
    assert response.status_code == 302
    assert not ReaderReport.objects.exists()
    assert THANKS in client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"message": ""}, "Please write your message."),
        ({"message": "   "}, "Please write your message."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"kind": "praise"}, "Select a valid choice."),
        ({"message": "x" * 5001}, "Please keep it under 5,000 characters."),
    ],
)
def test_invalid_input_shows_the_error_and_keeps_the_text(client, approved_live, data, text):
    response = post(client, approved_live, **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert text in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert not ReaderReport.objects.exists()
    if data.get("email"):
        assert 'value="not-an-email"' in html and "The dose in the second paragraph looks wrong.</textarea>" in html


def test_sixth_report_within_an_hour_from_one_address_is_429(client, approved_live):
    for n in range(REPORTS_PER_HOUR):
        assert post(client, approved_live, message=f"Report {n}").status_code == 302
    response = post(client, approved_live, message="One too many")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert "Too many messages from here" in response.content.decode()
    assert "One too many</textarea>" in response.content.decode()
    assert ReaderReport.objects.count() == REPORTS_PER_HOUR
    assert not ReaderReport.objects.filter(message="One too many").exists()
    # Another reader is not held back.
    assert post(client, approved_live, ip="198.51.100.9", message="Mine").status_code == 302
    assert ReaderReport.objects.count() == REPORTS_PER_HOUR + 1


def test_reports_on_unpublished_or_retracted_versions_are_404(client, author, editor, approved_live):
    draft = reviewed_article(author, editor, [], state="draft", title="Unpublished question")
    assert post(client, draft).status_code == 404
    assert post(client, approved_live, version="9").status_code == 404
    publishing.retract_live_version(approved_live, actor=editor, reason="Wrong")
    assert post(client, approved_live).status_code == 404
    assert post(client, approved_live, version="1").status_code == 404
    assert not ReaderReport.objects.exists()


def test_only_post(client, approved_live):
    assert client.get(feedback_url(approved_live)).status_code == 405
