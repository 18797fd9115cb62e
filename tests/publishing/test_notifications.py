"""Notifications in-process: who gets which inbox entry, the inbox API, one email each, preferences, digests."""

from __future__ import annotations

import pytest
from django.core import mail

from editorial import notifications
from editorial.models import Notification, NotificationPreference, OutboxMessage
from editorial.notifications import deliver, send_digests, send_emails
from editorial.services import workflow
from tests.factories import PASSWORD, make_article, make_user, reviewed_article, sign_decision

from .helpers import transition, url, with_email

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/"
PREFERENCES = "/api/v1/notifications/preferences/"


@pytest.fixture
def mailed(author, editor, board):
    """The author, the editor and the board member have email addresses."""
    for user in (author, editor, board):
        with_email(user)


def _kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def _mails_to(user, prefix: str = "") -> list:
    return [m for m in mail.outbox if m.to == [user.email] and m.subject.startswith(f"[Editorial] {prefix}")]


def test_submission_notifies_the_editors_not_the_author(api, author, editor, mailed, run_async):
    editor2 = make_user("editor", username="editor2")  # no email address: inbox only
    article = make_article(author)
    with run_async():
        assert transition(api.as_user(author), article, "submit").status_code == 200
    for user in (editor, editor2):
        entry = Notification.objects.get(recipient=user, kind="submitted")
        assert entry.article_id == article.pk and entry.subject.startswith("Submitted: ")
    assert not Notification.objects.filter(recipient=author).exists()
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]


def test_assignment_notifies_the_reviewer(api, author, editor, board, mailed, run_async):
    article = reviewed_article(author, editor, [], state="submitted")
    mail.outbox.clear()
    with run_async():
        response = api.as_user(editor).post(url(article, "assignments/"), {"reviewer": "board1"}, format="json")
        assert response.status_code == 201, response.json()
    assert _kinds(board) == ["assigned"]
    assert len(_mails_to(board, "Please review")) == 1


def test_approval_notifies_the_author(author, editor, board, mailed, run_async):
    with run_async():
        article = reviewed_article(author, editor, [board], state="approved")
    assert Notification.objects.filter(recipient=author, kind="approved", article_id=article.pk).count() == 1
    assert len(_mails_to(author, "Approved: ")) == 1
    # The member who approved is told of the approval, not of their own decision.
    assert "decision" not in _kinds(board) and "approved" in _kinds(board)


def test_the_inbox_shows_only_the_callers_own_and_read_marks_them(api, author, editor, board, run_async):
    with run_async():
        reviewed_article(author, editor, [board], state="approved")
    own = set(Notification.objects.filter(recipient=author).values_list("pk", flat=True))
    assert own and Notification.objects.exclude(recipient=author).exists()

    api.as_user(author)
    listed = api.get(INBOX).json()
    assert listed["count"] == len(own)
    assert {n["id"] for n in listed["results"]} == own
    assert all(n["read_at"] is None for n in listed["results"])

    nid = listed["results"][0]["id"]
    read = api.post(f"{INBOX}{nid}/read/")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    first_read_at = Notification.objects.get(pk=nid).read_at
    assert first_read_at is not None
    assert api.post(f"{INBOX}{nid}/read/").json()["read_at"] == read.json()["read_at"]  # reading twice keeps it

    unread = api.get(INBOX, {"unread": "1"}).json()
    assert {n["id"] for n in unread["results"]} == own - {nid}
    assert {n["id"] for n in api.get(INBOX).json()["results"]} == own

    someone_elses = Notification.objects.filter(recipient=editor).first()
    response = api.post(f"{INBOX}{someone_elses.pk}/read/")
    assert response.status_code == 404
    assert Notification.objects.get(pk=someone_elses.pk).read_at is None
    assert api.post(f"{INBOX}999999/read/").status_code == 404


def test_the_inbox_needs_sign_in(api):
    assert api.get(INBOX).status_code == 401
    assert api.get(PREFERENCES).status_code == 401


def test_each_notification_is_emailed_once_and_redelivery_changes_nothing(author, editor, board, mailed, run_async):
    board2 = make_user("board", username="board2_noemail")  # no address: an inbox entry, no email
    with run_async():
        reviewed_article(author, editor, [board, board2], state="approved")
    notifications = list(Notification.objects.select_related("recipient"))
    with_address = [n for n in notifications if n.recipient.email]
    assert Notification.objects.filter(recipient=board2).exists()
    assert len(mail.outbox) == len(with_address) > 0
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert sent == sorted((n.recipient.email, f"[Editorial] {n.subject}") for n in with_address)
    assert all(n.emailed_at is not None for n in with_address)

    rows, emails = Notification.objects.count(), len(mail.outbox)
    payloads = [message.payload for message in OutboxMessage.objects.filter(kind="notify")]
    assert deliver(payloads) == 0
    assert deliver(payloads[:1]) == 0
    for notification in with_address:  # a second worker reaching the same row sends nothing
        assert send_emails(Notification.objects.filter(pk=notification.pk)) == 0
    assert Notification.objects.count() == rows
    assert len(mail.outbox) == emails


def test_a_digest_preference_holds_the_email_for_the_digest(api, author, editor, board, mailed, run_async):
    api.as_user(author)
    response = api.post(PREFERENCES, {"kind": "approved", "mode": "digest"}, format="json")
    assert response.status_code == 200, response.json()
    assert api.get(PREFERENCES).json() == [{"kind": "approved", "mode": "digest"}]

    with run_async():
        reviewed_article(author, editor, [board], state="approved", title="Aspirin and bleeding")
    entry = Notification.objects.get(recipient=author, kind="approved")
    assert entry.email_mode == "digest" and entry.emailed_at is None
    assert _mails_to(author, "Approved") == []
    assert len(_mails_to(editor, "Approved: ")) == 1  # the editor's preference is the default: immediate
    before = len(mail.outbox)

    assert send_digests() == 1
    assert len(mail.outbox) == before + 1
    digest = mail.outbox[-1]
    assert digest.to == [author.email]
    assert "Approved: Aspirin and bleeding" in digest.body
    assert "Approved: Aspirin and bleeding" in digest.alternatives[0][0]
    assert Notification.objects.get(pk=entry.pk).emailed_at is not None

    assert send_digests() == 0
    assert len(mail.outbox) == before + 1


def test_off_for_a_required_kind_still_emails(api, author, editor, board, mailed, run_async):
    response = api.as_user(board).post(PREFERENCES, {"kind": "assigned", "mode": "off"}, format="json")
    assert response.status_code == 200, response.json()
    article = reviewed_article(author, editor, [], state="submitted")
    with run_async():
        api.as_user(editor).post(url(article, "assignments/"), {"reviewer": "board1"}, format="json")
    assert Notification.objects.get(recipient=board, kind="assigned").email_mode == "immediate"
    assert len(_mails_to(board, "Please review")) == 1


def test_off_for_an_optional_kind_sends_no_email_but_keeps_the_inbox_entry(api, author, editor, mailed, run_async):
    api.as_user(editor).post(PREFERENCES, {"kind": "submitted", "mode": "off"}, format="json")
    assert NotificationPreference.objects.get(user=editor).mode == "off"
    article = make_article(author)
    with run_async():
        workflow.submit_article(article, actor=author)
    assert Notification.objects.get(recipient=editor, kind="submitted").email_mode == "off"
    assert mail.outbox == []
    # Changing the preference again replaces it.
    api.post(PREFERENCES, {"kind": "submitted", "mode": "immediate"}, format="json")
    assert list(NotificationPreference.objects.filter(user=editor).values_list("mode", flat=True)) == ["immediate"]


@pytest.mark.parametrize("data", [
    {"kind": "nonsense", "mode": "digest"}, {"kind": "approved", "mode": "weekly"}, {"kind": "approved"}, {},
])  # fmt: skip
def test_an_invalid_preference_is_400(api, author, data):
    response = api.as_user(author).post(PREFERENCES, data, format="json")
    assert response.status_code == 400, response.json()
    assert not NotificationPreference.objects.exists()


def test_a_hostile_title_is_escaped_in_html_email_and_plain_in_text(api, author, editor, mailed, run_async):
    hostile = '<script>alert("x")</script> & statins'
    article = make_article(author, title=hostile)
    with run_async():
        workflow.submit_article(article, actor=author)
    [message] = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; statins" in html
    assert hostile in message.body
    assert "&lt;" not in message.body
    assert message.subject == f"[Editorial] Submitted: {hostile}"


def test_a_decision_by_the_board_reaches_author_and_editor_but_not_the_signer(author, editor, board, board2,
                                                                              run_async):  # fmt: skip
    article = reviewed_article(author, editor, [board, board2], state="under_review", quorum=2)
    with run_async():
        sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    recipients = set(Notification.objects.filter(kind="decision").values_list("recipient__username", flat=True))
    assert recipients == {"author", "editor"}


def test_two_workers_at_once_send_each_email_once(monkeypatch, author, editor, board, mailed):
    """A second sender (the sweeper) starting while the first is mid-send skips what the first has claimed: the
    first claims its whole batch before sending any."""
    for user in (author, editor, board):
        Notification.objects.create(
            event_key="race", recipient=user, kind="submitted", subject="Raced", body="b", email_mode="immediate"
        )
    real_message, inner, started = notifications._message, [], []

    def racing_message(*args, **kwargs):
        if not started:
            started.append(True)
            inner.append(send_emails(Notification.objects.all()))  # starts while the first email is claimed
        return real_message(*args, **kwargs)

    monkeypatch.setattr(notifications, "_message", racing_message)
    outer = send_emails(Notification.objects.all())
    assert inner == [0] and outer == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in (author, editor, board))
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert set(Notification.objects.values_list("email_attempts", flat=True)) == {1}
