"""`manage.py seed_demo`: demo users of every role and articles in every state, made through the services."""

import datetime

from django.core.management.base import BaseCommand

from articles.models import Article, ArticleState, PublicationPolicy
from editorial.models import ReferenceRetraction
from editorial.services import articles as article_services
from editorial.services import assignments as assignment_services
from editorial.services import publishing, retractions, workflow
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

STATINS_GUIDELINE = {
    "kind": "guideline",
    "citation": "2019 ESC/EAS Guidelines for the management of dyslipidaemias.",
    "year": 2019,
    "doi": "10.1093/eurheartj/ehz455",
}
BP_GUIDELINE = {
    "kind": "guideline",
    "citation": "2017 ACC/AHA Guideline for the Prevention, Detection, Evaluation, and Management of High Blood "
    "Pressure in Adults.",
    "year": 2017,
}
PREVENTION_GUIDELINE = {
    "kind": "guideline",
    "citation": "2019 ACC/AHA Guideline on the Primary Prevention of Cardiovascular Disease.",
    "year": 2019,
}


def research(citation: str, year: int, **identifiers) -> dict:
    return {"kind": "research", "citation": citation, "year": year, **identifiers}


# Each title with a body about it and the sources that body cites.
CONTENT = {
    "Do statins prevent heart attacks?": (
        "## From the Guidelines\n\n"
        "Current guidelines recommend statin therapy for adults at high cardiovascular risk [1].\n\n"
        "## From the Research\n\n"
        "In a large randomised trial, statins reduced major vascular events by about a fifth per mmol/L\n"
        "of LDL cholesterol lowered [2].\n",
        [
            STATINS_GUIDELINE,
            research(
                "Cholesterol Treatment Trialists' Collaboration. Efficacy and safety of more intensive lowering of "
                "LDL cholesterol. Lancet.",
                2010,
                pmid="21067804",
            ),
        ],
    ),
    "Is aspirin useful for primary prevention?": (
        "## From the Guidelines\n\n"
        "For adults aged 60 or older without heart disease, guidelines advise against starting low-dose aspirin "
        "to prevent a first heart attack or stroke [1].\n\n"
        "## From the Research\n\n"
        "In a large trial of healthy older adults, daily aspirin did not lower cardiovascular events and caused "
        "more major bleeding than placebo [2].\n",
        [
            {
                "kind": "guideline",
                "citation": "US Preventive Services Task Force. Aspirin use to prevent cardiovascular disease: "
                "recommendation statement. JAMA.",
                "year": 2022,
            },
            research(
                "McNeil JJ et al. Effect of aspirin on cardiovascular events and bleeding in the healthy elderly. "
                "N Engl J Med.",
                2018,
            ),
        ],
    ),
    "How much exercise lowers blood pressure?": (
        "## From the Guidelines\n\n"
        "Guidelines recommend 90 to 150 minutes a week of aerobic exercise for adults with raised blood "
        "pressure [1].\n\n"
        "## From the Research\n\n"
        "A network meta-analysis of trials found that aerobic, dynamic resistance and isometric exercise each "
        "lowered resting systolic blood pressure [2].\n",
        [
            BP_GUIDELINE,
            research(
                "Edwards JJ et al. Exercise training and resting blood pressure: a large-scale pairwise and network "
                "meta-analysis of randomised controlled trials. Br J Sports Med.",
                2023,
            ),
        ],
    ),
    "Can diet alone lower LDL cholesterol?": (
        "## From the Guidelines\n\n"
        "Guidelines advise a diet low in saturated fat and rich in fibre and plant foods as the first step to "
        "lower LDL cholesterol [1].\n\n"
        "## From the Research\n\n"
        "In a trial, a dietary portfolio of plant sterols, soy protein, viscous fibre and nuts lowered LDL "
        "cholesterol more than a low-saturated-fat diet alone [2].\n",
        [
            STATINS_GUIDELINE,
            research(
                "Jenkins DJA et al. Effect of a dietary portfolio of cholesterol-lowering foods given at 2 levels "
                "of intensity of dietary advice on serum lipids in hyperlipidemia. JAMA.",
                2011,
            ),
        ],
    ),
    "Should everyone take omega-3 supplements?": (
        "## From the Guidelines\n\n"
        "Guidelines do not recommend omega-3 fish oil supplements to prevent heart disease in the general "
        "population [1].\n\n"
        "## From the Research\n\n"
        "In a large trial, marine omega-3 fatty acid supplements did not lower the rate of major cardiovascular "
        "events [2].\n",
        [
            PREVENTION_GUIDELINE,
            research(
                "Manson JE et al. Marine n-3 fatty acids and prevention of cardiovascular disease and cancer. "
                "N Engl J Med.",
                2019,
            ),
        ],
    ),
    "Does garlic cure hypertension?": (
        "## From the Guidelines\n\n"
        "Guidelines do not list garlic among the treatments for high blood pressure [1].\n\n"
        "## From the Research\n\n"
        "A meta-analysis of small trials found that garlic supplements lowered systolic blood pressure a little "
        "in people with hypertension [2].\n",
        [
            BP_GUIDELINE,
            research(
                "Ried K et al. Effect of garlic on blood pressure: a systematic review and meta-analysis. "
                "BMC Cardiovasc Disord.",
                2008,
            ),
        ],
    ),
    "Are e-cigarettes safe for the heart?": (
        "## From the Guidelines\n\n"
        "Guidelines advise adults who smoke to stop, and say that the long-term effects of e-cigarettes on the "
        "heart are not known [1].\n\n"
        "## From the Research\n\n"
        "Studies found short-term rises in heart rate and blood pressure after vaping [2].\n",
        [
            PREVENTION_GUIDELINE,
            research(
                "Skotsimara G et al. Cardiovascular effects of electronic cigarettes: a systematic review and "
                "meta-analysis. Eur J Prev Cardiol.",
                2019,
            ),
        ],
    ),
}

# A machine-drafted answer under review whose text sets off several automated checks, to look at: two dose
# statements (dosage), an absolute claim, a sentence without a citation, a malformed DOI (reference_format),
# and a source on the retraction list (retracted_reference, which blocks approval).
MACHINE_TITLE = "How is swelling around a brain tumour treated?"
DEMO_RETRACTED_DOI = "10.5555/demo.retracted.2020"  # 10.5555: the prefix Crossref keeps for examples
MACHINE_BODY = """## From the Guidelines

Guidelines advise corticosteroids (dexamethasone 4–8 mg daily) for people whose symptoms come from swelling \
around the tumour [1].

Steroids are not needed when the swelling causes no symptoms [1].

## From the Research

In a small cohort, dexamethasone always relieved the headache within two days [2].

Higher doses such as 16 mg/day brought no extra benefit but more side effects [3].

Most people also need treatment of the tumour itself.

## Monitoring

Blood glucose is checked during treatment, as steroids can raise it above 11 mmol/L [1].
"""
MACHINE_REFERENCES = [
    {
        "kind": "guideline",
        "citation": "EANO-ESMO Clinical Practice Guidelines for diagnosis, treatment and follow-up of patients with "
        "brain metastasis from solid tumours. Ann Oncol.",
        "year": 2021,
    },
    research(
        "Demo cohort: dexamethasone and headache relief in peritumoural brain oedema (retracted; demo data).",
        2020,
        doi=DEMO_RETRACTED_DOI,
    ),
    research(
        "Vecht CJ et al. Dose-effect relationship of dexamethasone on Karnofsky performance in metastatic brain "
        "tumors: a randomized study of doses of 4, 8, and 16 mg per day. Neurology.",
        1994,
        doi="10.12/neurology-1994",  # malformed on purpose (a 2-digit registrant): the demo's reference_format
    ),
]
MACHINE_SOURCE = {
    "kind": "machine",
    "model": "demo-drafting-model-1",
    "note": "Drafted by a model from a reader's question; the author checked the wording before submitting.",
}

# Published for the public pages: an approved article, and one published at once while still in review.
PUBLISHED = {"Do statins prevent heart attacks?", "Is aspirin useful for primary prevention?"}
IMMEDIATE = {"Is aspirin useful for primary prevention?"}
SUMMARY = {
    "Do statins prevent heart attacks?": "Statins are medicines that lower cholesterol. For people at high risk "
    "they lower the chance of a heart attack.",
    "Is aspirin useful for primary prevention?": "For older adults without heart disease, a daily aspirin does "
    "not prevent a first heart attack and makes serious bleeding more likely.",
}

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
            self._machine_drafted(users)
        self.stdout.write(f"\nDemo users (password for all: {PASSWORD}):")
        for username, role, name, specialties, valid_until in USERS:
            extra = f" ({', '.join(specialties)}; credentials valid until {valid_until})" if specialties else ""
            self.stdout.write(f"  {username:<8} {role:<8} {name}{extra}")
        self.stdout.write("\nArticles:")
        for article in Article.objects.select_related("current_revision").order_by("id"):
            live = f"  (live: /articles/{article.slug}/)" if article.live_version_id else ""
            self.stdout.write(f"  #{article.pk} {article.state:<18} {article.title}{live}")

    def _machine_drafted(self, users):
        """Under review, with its automated checks (they run as the submission commits, or in the worker)."""
        alice, emma, lee = users["alice"], users["emma"], users["drlee"]
        if not ReferenceRetraction.objects.filter(doi=DEMO_RETRACTED_DOI).exists():
            retractions.add_reference_retraction(
                actor=emma, doi=DEMO_RETRACTED_DOI, note="Demo: retracted by the journal for unverifiable data."
            )
        article = article_services.create_article(
            actor=alice,
            title=MACHINE_TITLE,
            body=MACHINE_BODY,
            references=MACHINE_REFERENCES,
            topic="oncology",
            required_specialties=["oncology"],
            source=MACHINE_SOURCE,
        )
        workflow.submit_article(article, actor=alice)
        assignment_services.assign_reviewer(
            article, actor=emma, reviewer_username=lee.username, due=TODAY + datetime.timedelta(days=14)
        )
        assignment_services.declare_conflict(article, actor=lee, has_conflict=False)
        workflow.start_review(article, actor=emma)

    def _article(self, title, state, users):
        alice, emma, jones, lee = users["alice"], users["emma"], users["drjones"], users["drlee"]
        body, references = CONTENT[title]
        article = article_services.create_article(
            actor=alice,
            title=title,
            body=body,
            references=references,
            topic="cardiology",
            required_specialties=["cardiology"],
            publication_policy=PublicationPolicy.IMMEDIATE if title in IMMEDIATE else PublicationPolicy.AFTER_APPROVAL,
            plain_language_summary=SUMMARY.get(title, ""),
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
                article,
                verdict=verdict,
                actor=jones,
                password=PASSWORD,
                comment="Checked against the cited guideline.",
                revision=article.current_revision.number,  # the revision the member read and signs
            )
        if title in PUBLISHED:
            # No broker in the embedded default: the version is made in-process as this commits.
            publishing.request_publication(article, actor=emma)
