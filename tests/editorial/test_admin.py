"""The admin shows records read-only and takes transitions only through the services."""

import pytest

from articles.models import Article
from editorial.models import AuditEvent
from tests.factories import make_article, make_user, reviewed_article

pytestmark = pytest.mark.django_db


def _staff(user):
    user.is_staff = True
    user.save()
    return user


def test_forged_transition_post_is_refused(client, author, editor, board):
    article = reviewed_article(author, editor, [board], state="under_review")
    staff_author = _staff(author)  # may change articles (own), may not approve
    client.force_login(staff_author)
    events = AuditEvent.objects.count()
    response = client.post(f"/admin/articles/article/{article.pk}/change/", {"_fsm_transition_to": "approve"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == "under_review"
    assert AuditEvent.objects.count() == events
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("approve" in m and "board members" in m for m in messages), messages


def test_editor_takes_a_transition_through_the_service(client, author, editor, board):
    article = reviewed_article(author, editor, [board], state="submitted")
    client.force_login(_staff(editor))
    response = client.post(f"/admin/articles/article/{article.pk}/change/", {"_fsm_transition_to": "start_review"})
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).state == "under_review"
    assert AuditEvent.objects.filter(action="article.start_review", actor=editor).count() == 1


def test_records_cannot_be_changed_or_deleted_in_admin(client, author, editor):
    article = make_article(author)
    superuser = make_user("editor", username="root")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    revision = article.current_revision
    assert client.get(f"/admin/articles/revision/{revision.pk}/change/").status_code == 200  # view only
    response = client.post(f"/admin/articles/revision/{revision.pk}/change/", {"title": "Rewritten"})
    assert response.status_code == 403
    assert client.post(f"/admin/articles/revision/{revision.pk}/delete/", {"post": "yes"}).status_code == 403
    event = AuditEvent.objects.first()
    assert client.post(f"/admin/editorial/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    revision.refresh_from_db()
    assert revision.title != "Rewritten"


def test_user_admin_is_not_available(client):
    superuser = make_user("editor", username="root")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    assert client.get("/admin/auth/user/").status_code == 404
