"""Creating articles and editing them: every edit makes a new, immutable revision."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from articles.models import EDITABLE_STATES, Article
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import Forbidden, InvalidInput, StateConflict

from .common import lock_article
from .revisions import make_new_revision, make_revision

SETTINGS_FIELDS = (
    "topic",
    "quorum",
    "required_specialties",
    "publication_policy",
    "plain_language_summary",
    "review_interval_days",
)
# Fields only an editor may change after creation: they decide how strict the review is.
EDITOR_ONLY_FIELDS = ("quorum", "required_specialties", "publication_policy", "review_interval_days")


def _unique_slug(title: str) -> str:
    base = slugify(title)[:100].strip("-") or "article"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_article(
    *,
    actor,
    title: str,
    body: str,
    references: list[dict],
    topic: str = "",
    quorum: int = 1,
    required_specialties: list[str] | None = None,
    publication_policy: str = "after_approval",
    plain_language_summary: str = "",
) -> Article:
    """Create an article in `draft` with revision 1."""
    permissions.require_can_create_article(actor)
    # Each round of racers for one title lets one through (PostgreSQL): allow for ten at once.
    for attempt in range(10):
        try:
            with transaction.atomic():
                article = Article.objects.create(
                    slug=_unique_slug(title),
                    topic=topic,
                    created_by=actor,
                    quorum=quorum,
                    required_specialties=list(required_specialties or []),
                    publication_policy=publication_policy,
                    plain_language_summary=plain_language_summary,
                )
            break
        except IntegrityError:  # two articles with the same title raced for a slug
            if attempt == 9:
                raise
    revision = make_revision(
        article, number=1, author=actor, title=title, body=body, references=references, change_summary="First draft"
    )
    article.current_revision = revision
    article.save(update_fields=["current_revision"])
    record_event(
        "article.create",
        actor=actor,
        obj=article,
        article_id=article.pk,
        after={
            "state": article.state,
            "slug": article.slug,
            "title": title,
            "revision": 1,
            "content_hash": revision.content_hash,
            **{f: getattr(article, f) for f in SETTINGS_FIELDS},
        },
    )
    return article


@transaction.atomic
def edit_article(
    article: Article,
    *,
    actor,
    title: str | None = None,
    body: str | None = None,
    references: list[dict] | None = None,
    change_summary: str = "",
    base_revision: int | None = None,
    **settings_changes,
) -> Article:
    """Make a new revision from the changed fields, and/or change the article's review settings."""
    article = lock_article(article)
    permissions.require_can_edit(article, actor)
    unknown = set(settings_changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if not permissions.can_edit_any_article(actor):
        editor_only = [f for f in EDITOR_ONLY_FIELDS if f in settings_changes]
        if editor_only:
            raise Forbidden(f"Only an editor can change {', '.join(editor_only)}.")
    content_changed = title is not None or body is not None or references is not None
    if not content_changed and not settings_changes:
        raise InvalidInput("Nothing to change.")
    # The plain-language summary is shown to readers as reviewed text: it changes only while the
    # content may, so the next review sees it.
    reviewed_text_changed = content_changed or "plain_language_summary" in settings_changes
    if reviewed_text_changed and article.state not in EDITABLE_STATES:
        raise StateConflict(
            f"An article that is {article.get_state_display().lower()} cannot be edited; "
            "edit it in draft or after changes were requested.",
            "invalid_transition",
        )
    current = article.current_revision
    if base_revision is not None and base_revision != current.number:
        raise StateConflict(
            f"This edit was based on revision {base_revision}, but revision {current.number} is current.",
            "concurrent_change",
        )
    if settings_changes:
        before = {f: getattr(article, f) for f in settings_changes}
        for name, value in settings_changes.items():
            setattr(article, name, value)
        article.save(update_fields=[*settings_changes, "updated_at"])
        record_event(
            "article.settings",
            actor=actor,
            obj=article,
            article_id=article.pk,
            before=before,
            after={f: getattr(article, f) for f in settings_changes},
        )
    if content_changed:
        make_new_revision(
            article,
            actor=actor,
            title=title if title is not None else current.title,
            body=body if body is not None else current.body,
            references=references if references is not None else [r.as_dict() for r in current.references.all()],
            change_summary=change_summary,
            changed=[n for n, v in (("title", title), ("body", body), ("references", references)) if v is not None],
        )
    return article
