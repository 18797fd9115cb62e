"""Signing a decision with one's password: the lock that guards it against guessing (API.md "Sign-in and
signing attempts"; 21 CFR 11.300(d): attempts at unauthorised use are detected and reported)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import Article
from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import TooManyAttempts
from editorial.models import NotificationKind, SigningAttempts
from editorial.notifications import EVERY_EDITOR, notify

from .common import service_transaction

security_log = logging.getLogger("editorial.security")


def require_not_locked(user) -> SigningAttempts | None:
    """429 while the member's signing is locked (their right password included); returns the member's count."""
    if "signing_attempts" in user._state.fields_cache:  # read with the user (the API's token authentication)
        attempts = user._state.fields_cache["signing_attempts"]
    else:
        attempts = SigningAttempts.objects.filter(user=user).first()
    now = timezone.now()
    if attempts is not None and attempts.locked(now):
        raise TooManyAttempts(
            "Too many failed signatures: your signing is locked for 15 minutes, or until an editor unlocks it.",
            retry_after=(attempts.locked_until - now).total_seconds(),
        )
    return attempts


@service_transaction
def record_failed_signature(article: Article, user, *, verdict: str, revision: int | None) -> None:
    """A wrong password on a decision: audited; at the limit the member's signing locks and editors are told.

    Its own transaction, committed although the decision is refused (nothing else is recorded).
    """
    attempts, _ = SigningAttempts.objects.select_for_update(no_key=True).get_or_create(user=user)
    attempts.failures += 1
    record_event(
        "decision.signature_failed",
        actor=user,
        obj=article,
        article_id=article.pk,
        after={"verdict": verdict, "revision": revision, "consecutive_failures": attempts.failures},
    )
    if attempts.failures >= settings.EDITORIAL_SIGNING_FAILURE_LIMIT and not attempts.locked(timezone.now()):
        attempts.locked_until = timezone.now() + settings.EDITORIAL_SIGNING_LOCK
        security_log.warning("signing locked user=%r after %d failures", user.get_username(), attempts.failures)
        event = record_event(
            "account.lock",
            actor=None,
            obj=user,
            article_id=article.pk,
            after={"what": "signing", "failures": attempts.failures, "until": attempts.locked_until.isoformat()},
        )
        notify(
            NotificationKind.ACCOUNT,
            event=event,
            recipients=[EVERY_EDITOR],
            article=article,
            subject=f"Signing locked for {user.get_username()} after {attempts.failures} wrong passwords",
            body="Someone tried to sign decisions as this board member with wrong passwords. Their signing is "
            "locked for 15 minutes; check with them before unlocking it.",
        )
    attempts.save()


def reset_failed_signatures(user, attempts: SigningAttempts | None) -> None:
    """A right password: the count of consecutive failures starts again (no statement when there were none,
    as `attempts`, read by require_not_locked, shows)."""
    if attempts is not None and attempts.failures:
        SigningAttempts.objects.filter(user=user, failures__gt=0).update(failures=0, locked_until=None)


@service_transaction
def unlock_signing(username: str, *, actor) -> bool:
    """An editor lifts a member's signing lock; audited."""
    permissions.require_can_unlock_accounts(actor)
    user = get_user_model().objects.filter(username=username).first()
    updated = SigningAttempts.objects.filter(user=user).update(failures=0, locked_until=None) if user else 0
    record_event("account.unlock", actor=actor, obj=user, after={"username": username, "what": "signing"})
    return bool(updated)
