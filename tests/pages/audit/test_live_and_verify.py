""" "What was live on date D, and who had approved it", and the chain verification page."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from articles.models import ArticleState, PublishedVersion
from editorial.models import AuditEvent
from editorial.services import publishing, workflow
from reviewers.models import Decision, RevisionApproval
from tests.audit.builders import drop_append_only_triggers
from tests.factories import PASSWORD, make_article, make_user, reviewed_article, sign_decision
from tests.pages.editor.helpers import HOSTILE, assert_inert, signed_in

pytestmark = pytest.mark.django_db

LIVE = reverse("audit-live")
VERIFY = reverse("audit-verify")
TICK = datetime.timedelta(microseconds=1)


def ask(client, article, moment):
    value = moment if isinstance(moment, str) else moment.isoformat()
    return client.get(LIVE, {"article": article.pk, "at": value})


def result(response) -> str:
    html = response.content.decode()
    return html[html.index('id="live-result"') :]


def test_before_and_after_publication_and_after_retraction(author, editor, board, auditor, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    version = PublishedVersion.objects.get(article=article)
    decision = Decision.objects.get(article=article)
    line = f"{decision.signed_name}, {decision.signed_at:%Y-%m-%d %H:%M:%S} UTC, Approved for medical accuracy"
    client = signed_in(auditor)

    before = result(ask(client, article, version.published_at - TICK))
    assert "Nothing was live." in before and "No version had been published yet." in before

    at = ask(client, article, version.published_at)
    assert at.status_code == 200
    assert "Version <strong>v1</strong> was live: revision 1" in result(at)
    assert line in result(at)

    publishing.retract_live_version(article, actor=editor, reason=HOSTILE)
    version.refresh_from_db()
    still = result(ask(client, article, version.retracted_at - TICK))
    assert "v1</strong> was live" in still and "It was retracted later" in still
    after = ask(client, article, version.retracted_at)
    assert "Nothing was live." in result(after) and "Version v1 had been retracted on" in result(after)
    assert_inert(after.content.decode())


def test_a_retraction_does_not_bring_back_an_earlier_version(author, editor, board, auditor, publish):
    from editorial.services import articles as article_services

    article = publish(
        reviewed_article(author, editor, [board], state=ArticleState.APPROVED, publication_policy="immediate"), editor
    )
    workflow.revise_article(article, actor=editor)
    article_services.edit_article(article, actor=author, body=article.current_revision.body + "\n\nMore [1].")
    workflow.submit_article(article, actor=author)
    article = publish(article, editor)  # v2, pending review
    v1, v2 = PublishedVersion.objects.filter(article=article).order_by("number")
    client = signed_in(auditor)
    between = result(ask(client, article, v2.published_at - TICK))
    assert "v1</strong> was live" in between
    at_v2 = result(ask(client, article, v2.published_at))
    assert "v2</strong> was live: revision 2" in at_v2
    assert "Not approved at that moment: readers saw it as pending review." in at_v2
    publishing.retract_live_version(article, actor=editor, reason="Wrong dose")
    v2.refresh_from_db()
    assert "Nothing was live." in result(ask(client, article, v2.retracted_at + TICK))
    assert v1.retracted_at is None


def test_approval_as_it_stood_at_that_moment(author, editor, board, auditor, publish):
    article = reviewed_article(author, editor, [board], state=ArticleState.UNDER_REVIEW, publication_policy="immediate")
    article = publish(article, editor)  # live while pending review
    sign_decision(article, verdict="approve", actor=board, password=PASSWORD)
    approval = RevisionApproval.objects.get(article=article)
    client = signed_in(auditor)
    pending = result(ask(client, article, approval.approved_at - TICK))
    assert "v1</strong> was live" in pending and "Not approved at that moment" in pending
    approved = result(ask(client, article, approval.approved_at))
    assert "Not approved" not in approved
    assert Decision.objects.get(article=article).signature_line in approved


def test_a_date_means_the_end_of_that_day(author, editor, board, auditor, publish):
    article = publish(reviewed_article(author, editor, [board], state=ArticleState.APPROVED), editor)
    version = PublishedVersion.objects.get(article=article)
    client = signed_in(auditor)
    day = version.published_at.date()
    assert "v1</strong> was live" in result(ask(client, article, day.isoformat()))
    assert "Nothing was live." in result(ask(client, article, (day - datetime.timedelta(days=1)).isoformat()))
    # A date-time without a zone (a datetime-local input) is UTC.
    naive = (version.published_at + datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert "v1</strong> was live" in result(ask(client, article, naive))


@pytest.mark.parametrize("role", ["auditor", "editor"])
def test_readers_and_the_empty_form(role):
    response = signed_in(make_user(role)).get(LIVE)
    assert response.status_code == 200 and 'id="live-form"' in response.content.decode()
    assert 'for="live-article"' in response.content.decode() and 'for="live-at"' in response.content.decode()


@pytest.mark.parametrize("role", ["author", "board"])
def test_other_roles_are_forbidden(role, author):
    article = make_article(author)
    assert signed_in(make_user(role)).get(LIVE, {"article": article.pk, "at": "2030-01-01"}).status_code == 403


def test_unknown_article_is_404(auditor):
    assert signed_in(auditor).get(LIVE, {"article": 5555, "at": "2030-01-01"}).status_code == 404


@pytest.mark.parametrize(("at", "sentence"), [("last tuesday", "At:"), ("", "Give a date")])
def test_malformed_input_is_a_message(author, auditor, at, sentence):
    article = make_article(author)
    response = signed_in(auditor).get(LIVE, {"article": article.pk, "at": at})
    assert response.status_code == 400 and sentence in response.content.decode()


# -- verification ---------------------------------------------------------------------------------------


def test_intact_chain(author, auditor):
    make_article(author)
    response = signed_in(auditor).get(VERIFY)
    html = response.content.decode()
    head = AuditEvent.objects.order_by("seq").last()
    assert response.status_code == 200 and 'id="verify-status"' in html and "Intact" in html
    assert f'id="head-seq">{head.seq}<' in html and head.hash in html


@pytest.mark.parametrize("role", ["author", "board", "editor"])
def test_only_auditors_verify(role):
    # The API's rule: GET /api/v1/audit/verify/ is for auditors.
    assert signed_in(make_user(role)).get(VERIFY).status_code == 403


def test_a_tampered_chain_is_reported_at_the_first_broken_event(author, editor, board, auditor):
    reviewed_article(author, editor, [board], state=ArticleState.APPROVED)
    client = signed_in(auditor)
    intact = client.get(VERIFY).content.decode()
    head = AuditEvent.objects.order_by("seq").last()
    target = AuditEvent.objects.get(action="article.submit")
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE editorial_auditevent SET reason = %s WHERE seq = %s", ["Approved by phone", target.seq])
    html = client.get(VERIFY).content.decode()
    assert "Broken" in html and "Intact" not in html
    assert f'id="verify-first-broken">#{target.seq}<' in html
    assert 'id="verify-reason">hash_mismatch<' in html
    assert f'id="verify-checked">{target.seq - 1}<' in html
    assert "Intact" in intact and head.hash in html  # the head is unchanged: keep it outside to compare


def test_compare_with_a_kept_head(author, auditor):
    make_article(author)
    event = AuditEvent.objects.order_by("seq").last()
    client = signed_in(auditor)
    html = client.get(VERIFY, {"seq": event.seq, "hash": event.hash}).content.decode()
    assert "still has the hash you kept" in html
    html = client.get(VERIFY, {"seq": event.seq, "hash": "0" * 64}).content.decode()
    assert "the chain was rewritten" in html
    html = client.get(VERIFY, {"seq": 99999, "hash": "0" * 64}).content.decode()
    assert "There is no event #99999" in html
