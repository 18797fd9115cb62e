"""Factories for users of each role and for articles in any state, built through the services."""

from __future__ import annotations

import contextlib
import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from articles.models import Article, ArticleState
from editorial import protection
from editorial.roles import ROLE_GROUPS
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import workflow
from reviewers.models import BoardMember

PASSWORD = "correct horse battery"

BODY = (
    "## From the Guidelines\n\nStatins lower LDL cholesterol [1].\n\n"
    "## From the Research\n\nA trial found fewer events [2]."
)
# A body whose claims include doses (claim verification, doses_need_verification), citing the two REFERENCES.
DOSE_BODY = (
    "## From the Guidelines\n\n"
    "Statins lower LDL cholesterol [1]. Take atorvastatin 20 mg once daily [1].\n\n"
    "Muscle aches are the most commonly reported side effect of treatment.\n\n"
    "## From the Research\n\n"
    "A trial found fewer events [2]. Rosuvastatin 5-10 mg daily was used."
)

REFERENCES = [
    {"kind": "guideline", "citation": "ESC/EAS Guidelines for the management of dyslipidaemias", "year": 2019},
    {"kind": "research", "citation": "Trial of statins in primary prevention", "year": 2016, "pmid": "12345"},
]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=ROLE_GROUPS[extracted]))
        self.save()


class BoardMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardMember

    user = factory.SubFactory(UserFactory, role="board")
    display_name = factory.LazyAttribute(lambda m: f"{m.user.first_name} {m.user.last_name}, MD")
    specialties = factory.LazyFunction(lambda: ["cardiology"])
    credentials_valid_until = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=365))


@contextlib.contextmanager
def records_unprotected():
    """The append-only triggers off, for a test that back-dates a record (DDL: rolled back with the test)."""
    protection.remove(connection)
    try:
        yield
    finally:
        protection.install(connection)


def make_user(role: str, **kwargs):
    if role == "board":
        return BoardMemberFactory(
            **{f"user__{k}": v for k, v in kwargs.items() if k == "username"},
            **{k: v for k, v in kwargs.items() if k != "username"},
        ).user
    return UserFactory(role=role, **kwargs)


def make_article(author, **kwargs) -> Article:
    fields = {"title": "Do statins prevent heart attacks?", "body": BODY, "references": REFERENCES, **kwargs}
    return article_services.create_article(actor=author, **fields)


def submitted_article(author, **kwargs) -> Article:
    """An article its author has submitted: board members may see it and declare on it."""
    article = make_article(author, **kwargs)
    return workflow.submit_article(article, actor=author)


def sign_decision(article, **kwargs):
    """`workflow.record_decision` on the revision the member reads: the article's current one (unless given)."""
    article = Article.objects.select_related("current_revision").get(pk=article.pk)
    kwargs.setdefault("revision", article.current_revision.number)
    return workflow.record_decision(article, **kwargs)


def reviewed_article(author, editor, reviewers, state: str = ArticleState.UNDER_REVIEW, **kwargs) -> Article:
    """An article taken through the services up to `state`, with `reviewers` assigned and declared (a new one,
    or `article`, a draft made already)."""
    article = kwargs.pop("article", None) or make_article(author, **kwargs)
    if state == ArticleState.DRAFT:
        return article
    if state == ArticleState.WITHDRAWN:
        return workflow.withdraw_article(article, actor=author, comment="No longer needed")
    workflow.submit_article(article, actor=author)
    for reviewer in reviewers:
        assignment_services.assign_reviewer(article, actor=editor, reviewer_username=reviewer.username)
        assignment_services.declare_conflict(article, actor=reviewer, has_conflict=False)
    if state == ArticleState.SUBMITTED:
        return Article.objects.get(pk=article.pk)
    workflow.start_review(article, actor=editor)
    if state == ArticleState.UNDER_REVIEW:
        return Article.objects.get(pk=article.pk)
    first = reviewers[0]
    verdict = {
        ArticleState.APPROVED: "approve",
        ArticleState.CHANGES_REQUESTED: "request_changes",
        ArticleState.REJECTED: "reject",
    }[state]
    sign_decision(article, verdict=verdict, actor=first, comment="Reviewed", password=PASSWORD)
    article = Article.objects.get(pk=article.pk)
    assert article.state == state, f"could not bring the article to {state}: it is {article.state}"
    return article
