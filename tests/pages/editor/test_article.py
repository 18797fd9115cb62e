"""The editor's article page: reviewers, review settings, publishing, scheduling, cancelling, retracting."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleState, PublishedVersion, PublishRequest
from editorial.models import AuditEvent
from reviewers.models import Assignment
from tests.factories import make_article, make_user, reviewed_article
from tests.pages.editor.helpers import HOSTILE, assert_inert, no_audit_change, signed_in

pytestmark = pytest.mark.django_db


def url(article, name="editor-article", *args):
    return reverse(name, args=[article.pk, *args])


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def follow(client, path, data):
    return client.post(path, data, follow=True)


# -- the page -------------------------------------------------------------------------------------------


def test_editor_sees_the_page(author, editor, board, board2):
    article = reviewed_article(
        author, editor, [board], state=ArticleState.UNDER_REVIEW, required_specialties=["oncology"]
    )
    response = signed_in(editor).get(url(article))
    assert response.status_code == 200
    html = response.content.decode()
    for marker in (
        'id="assign-form"',
        'name="reviewer"',
        'id="publish-now"',
        'id="retract-form"',
        'id="settings-form"',
    ):
        assert marker in html
    assert reverse("workspace", args=[article.pk]) in html
    # Suggestions: board2 (oncology matches), not board1 (already assigned) nor the author.
    suggestions = html[
        html.index('id="reviewer-suggested"') : html.index("</select>", html.index('id="reviewer-suggested"'))
    ]
    assert "board2" in suggestions and "matches oncology" in suggestions and "board1" not in suggestions
    # The current assignment, with its declaration.
    row = html[html.index('id="assignment-board1"') :]
    assert "None declared" in row.split("</tr>")[0]


def test_every_input_has_a_label(author, editor, board):
    import re

    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    html = signed_in(editor).get(url(article)).content.decode()
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
    assert ids
    for control in ids:
        assert f'for="{control}"' in html, control


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_other_roles_are_forbidden(role, author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED)
    assert signed_in(make_user(role)).get(url(article)).status_code == 403


def test_unknown_article_is_404(editor):
    assert signed_in(editor).get(reverse("editor-article", args=[99999])).status_code == 404


def test_versions_list_with_review_status(author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    html = signed_in(editor).get(url(article)).content.decode()
    row = html[html.index('id="version-1"') :].split("</tr>")[0]
    assert "live" in row and "approved" in row


# -- assigning ------------------------------------------------------------------------------------------


def test_assign_a_typed_username_with_a_due_date(author, editor, board):
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    due = timezone.now().date() + datetime.timedelta(days=7)
    response = follow(signed_in(editor), url(article, "editor-assign"), {"reviewer": "board1", "due": due.isoformat()})
    assignment = Assignment.objects.get(article=article, reviewer=board)
    assert assignment.due == due
    assert "Assigned board1." in texts(response)
    assert 'id="assignment-board1"' in response.content.decode()


def test_assign_a_suggested_member(author, editor, board2):
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    follow(signed_in(editor), url(article, "editor-assign"), {"suggested": "board2", "reviewer": ""})
    assert Assignment.objects.filter(article=article, reviewer=board2).exists()


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ({"reviewer": "nobody"}, "There is no user 'nobody'."),
        ({"reviewer": "author"}, "author is not an active board member."),
        ({"reviewer": "board1", "due": "2000-01-01"}, "The due date is in the past."),
        ({"reviewer": ""}, "Choose a suggested board member or type a username."),
        ({"reviewer": "board1", "due": "not a date"}, "Due date: Enter a valid date."),
    ],
)
def test_assign_refusals_are_messages(author, editor, board, data, sentence):
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-assign"), data)
    assert sentence in texts(response)
    assert not Assignment.objects.filter(article=article).exists()


def test_assign_in_a_wrong_state_is_a_message(author, editor, board, board2):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-assign"), {"reviewer": "board2"})
    assert "Cannot assign reviewers to an article that is approved." in texts(response)
    assert not Assignment.objects.filter(article=article, reviewer=board2).exists()


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_assign_by_another_role_is_403(role, author, editor, board2):
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    user = author if role == "author" else make_user(role)
    with no_audit_change():
        response = signed_in(user).post(url(article, "editor-assign"), {"reviewer": "board2"})
    assert response.status_code == 403
    assert not Assignment.objects.filter(article=article).exists()


def test_assign_on_unknown_article_is_404(editor, board):
    assert signed_in(editor).post(reverse("editor-assign", args=[4242]), {"reviewer": "board1"}).status_code == 404


def test_get_on_a_post_route_is_405(author, editor):
    article = make_article(author)
    assert signed_in(editor).get(url(article, "editor-assign")).status_code == 405


# -- settings -------------------------------------------------------------------------------------------

SETTINGS = {
    "quorum": "2",
    "required_specialties": "cardiology, oncology, cardiology",
    "publication_policy": "immediate",
    "review_interval_days": "180",
}


def test_settings_are_saved_through_the_service(author, editor):
    article = make_article(author)
    response = follow(signed_in(editor), url(article, "editor-settings"), SETTINGS)
    article.refresh_from_db()
    assert (article.quorum, article.required_specialties, article.publication_policy, article.review_interval_days) == (
        2,
        ["cardiology", "oncology"],
        "immediate",
        180,
    )
    assert "Review settings saved." in texts(response)
    event = AuditEvent.objects.filter(action="article.settings").get()
    assert event.before == {"quorum": 1, "required_specialties": [], "publication_policy": "after_approval",
                            "review_interval_days": None}  # fmt: skip
    assert article.current_revision.number == 1  # settings only, no new revision


def test_the_dose_verification_setting_is_saved_and_shown(author, editor):
    article = make_article(author)
    client = signed_in(editor)
    assert 'id="doses-need-verification" name="doses_need_verification">' in client.get(url(article)).content.decode()
    follow(client, url(article, "editor-settings"), {**SETTINGS, "quorum": "1", "publication_policy": "after_approval",
                                                     "review_interval_days": "", "required_specialties": "",
                                                     "doses_need_verification": "on"})  # fmt: skip
    article.refresh_from_db()
    assert article.doses_need_verification is True
    event = AuditEvent.objects.get(action="article.settings")
    assert (event.before, event.after) == ({"doses_need_verification": False}, {"doses_need_verification": True})
    assert 'name="doses_need_verification" checked>' in client.get(url(article)).content.decode()


def test_only_changed_settings_are_recorded(author, editor):
    article = make_article(author)
    data = {
        "quorum": "3",
        "required_specialties": "",
        "publication_policy": "after_approval",
        "review_interval_days": "",
    }
    follow(signed_in(editor), url(article, "editor-settings"), data)
    assert AuditEvent.objects.get(action="article.settings").after == {"quorum": 3}


def test_unchanged_settings_are_a_message(author, editor):
    article = make_article(author)
    data = {
        "quorum": "1",
        "required_specialties": "",
        "publication_policy": "after_approval",
        "review_interval_days": "",
    }
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-settings"), data)
    assert "Nothing to change." in texts(response)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quorum", "0"),
        ("quorum", "11"),
        ("quorum", "two"),
        ("publication_policy", "whenever"),
        ("review_interval_days", "-1"),
    ],
)
def test_invalid_settings_change_nothing(author, editor, field, value):
    article = make_article(author)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-settings"), {**SETTINGS, field: value})
    assert texts(response)
    article.refresh_from_db()
    assert (article.quorum, article.publication_policy) == (1, "after_approval")


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_settings_by_another_role_is_403(role, author):
    article = make_article(author)
    user = author if role == "author" else make_user(role)
    with no_audit_change():
        assert signed_in(user).post(url(article, "editor-settings"), SETTINGS).status_code == 403
    article.refresh_from_db()
    assert article.quorum == 1


# -- publishing -----------------------------------------------------------------------------------------


def test_publish_now(author, editor, board, django_capture_on_commit_callbacks):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    client = signed_in(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(article, "editor-publish"), {"action": "now", "revision": ""})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.live_version.number == 1 and article.live_version.revision_id == article.current_revision_id
    html = client.get(url(article)).content.decode()
    assert 'id="version-1"' in html


def test_publish_an_unapproved_revision_is_refused(author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-publish"), {"action": "now"})
    assert "Revision 1 is not approved, and this article publishes only after approval." in texts(response)
    assert not PublishRequest.objects.filter(article=article).exists()


def test_publishing_what_is_live_is_refused(author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-publish"), {"action": "now", "revision": "1"})
    assert "Revision 1 is already live as v1." in texts(response)
    assert PublishedVersion.objects.filter(article=article).count() == 1


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_publish_by_another_role_is_403(role, author, editor, board, django_capture_on_commit_callbacks):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    user = author if role == "author" else make_user(role)
    with no_audit_change(), django_capture_on_commit_callbacks(execute=True):
        assert signed_in(user).post(url(article, "editor-publish"), {"action": "now"}).status_code == 403
    assert not PublishRequest.objects.filter(article=article).exists()


def test_schedule_reads_the_time_as_utc_and_cancel(author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    client = signed_in(editor)
    when = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    response = follow(
        client, url(article, "editor-publish"), {"action": "schedule", "publish_at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    request = PublishRequest.objects.get(article=article)
    assert (request.status, request.publish_at) == ("scheduled", when)
    assert f"Revision 1 is scheduled for {when:%Y-%m-%d %H:%M} UTC." in texts(response)
    assert f'id="cancel-publish-{request.pk}"' in response.content.decode()

    response = follow(client, url(article, "editor-cancel-publish", request.pk), {})
    request.refresh_from_db()
    assert request.status == "cancelled" and "Publication cancelled." in texts(response)

    with no_audit_change():
        response = follow(client, url(article, "editor-cancel-publish", request.pk), {})
    assert "This publication is cancelled; it cannot be cancelled." in texts(response)


@pytest.mark.parametrize(
    ("publish_at", "sentence"),
    [
        ("2001-01-01T10:00", "publish_at must be in the future."),
        ("", "Choose the date and time (UTC) to publish at."),
        ("tomorrow", "The publication time must be a date and time, e.g. 2030-01-31T09:00."),
    ],
)
def test_schedule_refusals(author, editor, board, publish_at, sentence):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    with no_audit_change():
        response = follow(
            signed_in(editor), url(article, "editor-publish"), {"action": "schedule", "publish_at": publish_at}
        )
    assert sentence in texts(response)
    assert not PublishRequest.objects.filter(article=article).exists()


def test_cancel_by_another_role_is_403(author, editor, board, publish):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    publish(article, editor, publish_at=timezone.now() + datetime.timedelta(days=1))
    request = PublishRequest.objects.get(article=article)
    with no_audit_change():
        assert (
            signed_in(make_user("auditor")).post(url(article, "editor-cancel-publish", request.pk)).status_code == 403
        )
    request.refresh_from_db()
    assert request.status == "scheduled"


def test_cancel_a_request_of_another_article_is_404(author, editor, board, publish):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    other = make_article(author, title="Other")
    publish(article, editor, publish_at=timezone.now() + datetime.timedelta(days=1))
    request = PublishRequest.objects.get(article=article)
    assert signed_in(editor).post(url(other, "editor-cancel-publish", request.pk)).status_code == 404


# -- retracting -----------------------------------------------------------------------------------------


def test_retract_with_a_hostile_reason_is_inert(author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    client = signed_in(editor)
    response = follow(client, url(article, "editor-retract"), {"reason": HOSTILE})
    article.refresh_from_db()
    version = PublishedVersion.objects.get(article=article)
    assert article.live_version is None and version.retraction_reason == HOSTILE
    assert "Version 1 is retracted." in texts(response)
    assert_inert(response.content.decode())
    assert_inert(signed_in(make_user("auditor")).get(reverse("audit-article", args=[article.pk])).content.decode())


def test_retract_when_nothing_is_live_is_a_message(author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-retract"), {"reason": "Outdated"})
    assert "Nothing is live." in texts(response)


def test_retract_needs_a_reason(author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-retract"), {"reason": "   "})
    assert "A reason is required to retract a version." in texts(response)
    assert Article.objects.get(pk=article.pk).live_version_id is not None


@pytest.mark.parametrize("role", ["author", "board", "auditor"])
def test_retract_by_another_role_is_403(role, author, editor, board, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    user = author if role == "author" else make_user(role)
    with no_audit_change():
        assert signed_in(user).post(url(article, "editor-retract"), {"reason": "No"}).status_code == 403
    assert Article.objects.get(pk=article.pk).live_version_id is not None


# -- starting a review, re-review -----------------------------------------------------------------------


def test_start_review(author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED)
    response = follow(signed_in(editor), url(article, "editor-start-review"), {})
    assert Article.objects.get(pk=article.pk).state == "under_review"
    assert "The review has started." in texts(response)


def test_start_review_without_reviewers_is_a_message(author, editor):
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-start-review"), {})
    assert "Assign at least one board member before starting the review." in texts(response)
    assert Article.objects.get(pk=article.pk).state == "submitted"


def test_open_rereview(author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    follow(signed_in(editor), url(article, "editor-rereview"), {})
    article.refresh_from_db()
    assert article.state == "under_review" and article.review_round == 2


def test_rereview_in_a_wrong_state_is_a_message(author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW)
    with no_audit_change():
        response = follow(signed_in(editor), url(article, "editor-rereview"), {})
    assert "Cannot start rereview an article that is under review." in texts(response)


@pytest.mark.parametrize("name", ["editor-start-review", "editor-rereview"])
def test_review_actions_by_another_role_are_403(name, author, editor, board):
    article = reviewed_article(author, editor, [board], state=ArticleState.SUBMITTED)
    with no_audit_change():
        assert signed_in(author).post(url(article, name)).status_code == 403


# -- CSRF -----------------------------------------------------------------------------------------------


def test_posts_need_the_csrf_token(author, editor, board):
    article = reviewed_article(author, editor, [], state=ArticleState.SUBMITTED)
    client = signed_in(editor, enforce_csrf_checks=True)
    with no_audit_change():
        assert client.post(url(article, "editor-assign"), {"reviewer": "board1"}).status_code == 403
    assert not Assignment.objects.filter(article=article).exists()
    page = client.get(url(article))
    token = page.cookies["csrftoken"].value
    client.post(url(article, "editor-assign"), {"reviewer": "board1", "csrfmiddlewaretoken": token})
    assert Assignment.objects.filter(article=article, reviewer=board).exists()
