"""The editor's retraction list page: the list, the form that adds to it; editors only."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from editorial.models import ReferenceRetraction
from editorial.services import retractions
from tests.api.test_reference_retractions import BODY, RETRACTED_DOI, references, retracted_checks
from tests.factories import reviewed_article
from tests.pages.editor.helpers import HOSTILE, assert_inert, signed_in

pytestmark = pytest.mark.django_db

LIST, ADD = reverse("editor-retractions"), reverse("editor-retraction-add")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_editor_sees_the_list_and_the_form(editor):
    retractions.add_reference_retraction(actor=editor, doi="10.1000/xyz", note=HOSTILE)
    retractions.add_reference_retraction(actor=None, pmid="12345", note="Imported.")
    response = signed_in(editor).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "DOI 10.1000/xyz" in html and "PMID 12345" in html and "imported" in html
    assert f'action="{ADD}"' in html
    assert_inert(html)
    assert "Retractions" in html  # the desk link


def test_adding_through_the_form_flags_the_articles_that_cite_it(author, editor, board):
    article = reviewed_article(author, editor, [board], title="Do statins prevent heart attacks?", body=BODY,
                               references=references())  # fmt: skip
    response = signed_in(editor).post(ADD, {"doi": RETRACTED_DOI, "pmid": "", "note": "Retracted."})
    assert response.status_code == 302 and response.url == LIST
    assert ReferenceRetraction.objects.get().doi == RETRACTED_DOI.lower()
    assert [c.blocking for c in retracted_checks(article)] == [True]


def test_a_refused_addition_is_a_message_and_changes_nothing(editor):
    response = signed_in(editor).post(ADD, {"doi": "10.1000/xyz", "pmid": "123", "note": "Both."}, follow=True)
    assert response.status_code == 200
    assert texts(response) == ["Give exactly one of doi and pmid."]
    assert not ReferenceRetraction.objects.exists()


@pytest.mark.parametrize("who", ["author", "board", "auditor"])
def test_other_roles_are_refused(request, who):
    client = signed_in(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403
    assert client.post(ADD, {"doi": "10.1000/xyz", "note": "Retracted."}).status_code == 403
    assert not ReferenceRetraction.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response.url
