"""`manage.py seed_demo`: demo users of every role and articles in every state, made through the services."""

import datetime

from django.core.management.base import BaseCommand

from articles.models import Article, ArticleState, PublicationPolicy
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import publishing, workflow
from editorial.services.users import save_user_with_role

PASSWORD = "editorial-demo"
TODAY = datetime.date.today()
USERS = [
    # username, role, name, specialties, credentials valid until
    ("alice", "author", "Alice Author", None, None),
    ("emma", "editor", "Emma Editor", None, None),
    ("oscar", "auditor", "Oscar Auditor", None, None),
    ("drjones", "board", "Sam Jones, MD", ["cardiology"], TODAY + datetime.timedelta(days=700)),
    ("drlee", "board", "Kim Lee, MD, PhD", ["oncology"], TODAY + datetime.timedelta(days=400)),
    ("drkhan", "board", "Ravi Khan, MD", ["cardiology"], TODAY - datetime.timedelta(days=30)),
]

BODY = """## From the Guidelines

Current guidelines recommend statin therapy for adults at high cardiovascular risk [1].

## From the Research

In a large randomised trial, statins reduced major vascular events by about a fifth per mmol/L
of LDL cholesterol lowered [2].
"""
REFERENCES = [
    {
        "kind": "guideline",
        "citation": "2019 ESC/EAS Guidelines for the management of dyslipidaemias.",
        "year": 2019,
        "doi": "10.1093/eurheartj/ehz455",
    },
    {
        "kind": "research",
        "citation": "Cholesterol Treatment Trialists' Collaboration. Efficacy and safety of "
        "more intensive lowering of LDL cholesterol. Lancet.",
        "year": 2010,
        "pmid": "21067804",
    },
]

# Published for the public pages: an approved article, and one published at once while still in review.
PUBLISHED = {"Do statins prevent heart attacks?", "Is aspirin useful for primary prevention?"}
IMMEDIATE = {"Is aspirin useful for primary prevention?"}
SUMMARY = (
    "Statins are medicines that lower cholesterol. For people at high risk they lower the chance of a heart attack."
)

ARTICLES = [
    ("Do statins prevent heart attacks?", ArticleState.APPROVED),
    ("Is aspirin useful for primary prevention?", ArticleState.UNDER_REVIEW),
    ("How much exercise lowers blood pressure?", ArticleState.SUBMITTED),
    ("Can diet alone lower LDL cholesterol?", ArticleState.DRAFT),
    ("Should everyone take omega-3 supplements?", ArticleState.CHANGES_REQUESTED),
    ("Does garlic cure hypertension?", ArticleState.REJECTED),
    ("Are e-cigarettes safe for the heart?", ArticleState.WITHDRAWN),
]


class Command(BaseCommand):
    help = "Create demo users (one per role) and articles in every state. Safe to run again."

    def handle(self, *args, **options):
        users = {}
        for username, role, name, specialties, valid_until in USERS:
            users[username] = save_user_with_role(
                username=username,
                role=role,
                password=PASSWORD,
                name=name,
                specialties=specialties,
                credentials_valid_until=valid_until,
                staff=role in ("editor", "auditor"),
            )
        if Article.objects.exists():
            self.stdout.write("Demo articles already exist; users refreshed.")
        else:
            for title, state in ARTICLES:
                self._article(title, state, users)
        self.stdout.write(f"\nDemo users (password for all: {PASSWORD}):")
        for username, role, name, specialties, valid_until in USERS:
            extra = f" ({', '.join(specialties)}; credentials valid until {valid_until})" if specialties else ""
            self.stdout.write(f"  {username:<8} {role:<8} {name}{extra}")
        self.stdout.write("\nArticles:")
        for article in Article.objects.select_related("current_revision").order_by("id"):
            live = f"  (live: /articles/{article.slug}/)" if article.live_version_id else ""
            self.stdout.write(f"  #{article.pk} {article.state:<18} {article.title}{live}")

    def _article(self, title, state, users):
        alice, emma, jones, lee = users["alice"], users["emma"], users["drjones"], users["drlee"]
        article = article_services.create_article(
            actor=alice,
            title=title,
            body=BODY,
            references=REFERENCES,
            topic="cardiology",
            required_specialties=["cardiology"],
            publication_policy=PublicationPolicy.IMMEDIATE if title in IMMEDIATE else PublicationPolicy.AFTER_APPROVAL,
            plain_language_summary=SUMMARY if title in PUBLISHED else "",
        )
        if state == ArticleState.DRAFT:
            return
        if state == ArticleState.WITHDRAWN:
            workflow.withdraw_article(article, actor=alice, comment="Superseded by a broader article.")
            return
        workflow.submit_article(article, actor=alice)
        for reviewer in (jones, lee):
            assignment_services.assign_reviewer(
                article, actor=emma, reviewer_username=reviewer.username, due=TODAY + datetime.timedelta(days=14)
            )
            assignment_services.declare_conflict(article, actor=reviewer, has_conflict=False)
        if state == ArticleState.SUBMITTED:
            return
        workflow.start_review(article, actor=emma)
        verdict = {
            ArticleState.APPROVED: "approve",
            ArticleState.CHANGES_REQUESTED: "request_changes",
            ArticleState.REJECTED: "reject",
        }.get(state)
        if verdict:
            workflow.record_decision(
                article, verdict=verdict, actor=jones, password=PASSWORD, comment="Checked against the cited guideline."
            )
        if title in PUBLISHED:
            # No broker in the embedded default: the version is made in-process as this commits.
            publishing.request_publication(article, actor=emma)
