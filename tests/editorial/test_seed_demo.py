"""`manage.py seed_demo`: every article's text is about its title; the machine-drafted one under review shows
the automated checks of several rules."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from articles.models import Article, ArticleState, RevisionSource
from editorial.management.commands.seed_demo import MACHINE_TITLE
from reviewers.models import Annotation, AnnotationKind, AnnotationStatus

pytestmark = pytest.mark.django_db

# A word of each title that its body must use.
TOPIC_WORDS = {
    "Do statins prevent heart attacks?": "statin",
    "Is aspirin useful for primary prevention?": "aspirin",
    "How much exercise lowers blood pressure?": "exercise",
    "Can diet alone lower LDL cholesterol?": "diet",
    "Should everyone take omega-3 supplements?": "omega-3",
    "Does garlic cure hypertension?": "garlic",
    "Are e-cigarettes safe for the heart?": "e-cigarettes",
    MACHINE_TITLE: "swelling",
}


def test_the_demo_articles_and_their_checks(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    articles = {a.title: a for a in Article.objects.select_related("current_revision")}
    assert set(articles) == set(TOPIC_WORDS)
    for title, word in TOPIC_WORDS.items():
        assert word in articles[title].current_revision.body.lower(), title
    machine = articles[MACHINE_TITLE]
    assert machine.state == ArticleState.UNDER_REVIEW
    revision = machine.current_revision
    assert revision.source == RevisionSource.MACHINE and revision.source_model and revision.source_note
    checks = Annotation.objects.filter(article=machine, kind=AnnotationKind.CHECK, status=AnnotationStatus.OPEN)
    assert {c.rule for c in checks} == {
        "dosage",
        "absolute_claim",
        "uncited_claim",
        "reference_format",
        "retracted_reference",
    }
    assert sorted(c.quote for c in checks if c.rule == "dosage") == ["16 mg/day", "4–8 mg daily"]
    assert [c.blocking for c in checks if c.rule == "retracted_reference"] == [True]
    # The other articles under review cite nothing retracted, so nothing blocks them.
    for title, article in articles.items():
        if title != MACHINE_TITLE:
            assert not Annotation.objects.filter(article=article, blocking=True, kind=AnnotationKind.CHECK).exists()
    assert articles["Do statins prevent heart attacks?"].live_version_id is not None
