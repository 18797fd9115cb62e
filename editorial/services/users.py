"""Accounts: users with exactly one role (and a board profile for board members), passwords, deactivation,
and the locks that guard sign-in and signing."""

from __future__ import annotations

import datetime
import logging

from axes.utils import reset as reset_sign_in_failures
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone
from knox.models import AuthToken

from editorial import permissions
from editorial.audit import record_event
from editorial.exceptions import InvalidInput, NotFound, StateConflict
from editorial.models import AuditEvent, NotificationKind
from editorial.notifications import EVERY_EDITOR, notify
from editorial.roles import ROLE_GROUPS, role_of
from reviewers.models import Assignment, BoardMember

from .common import refuse_line_breaks, service_transaction

security_log = logging.getLogger("editorial.security")


@service_transaction
def save_user_with_role(
    *,
    username: str,
    role: str,
    password: str,
    name: str = "",
    specialties: list[str] | None = None,
    credentials_valid_until: datetime.date | None = None,
    email: str = "",
    staff: bool | None = None,
    actor=None,
):
    """Create or update a user; the role replaces any other role the user had."""
    if role not in ROLE_GROUPS:
        raise InvalidInput(f"Unknown role {role!r}; use one of {', '.join(ROLE_GROUPS)}.")
    refuse_line_breaks("name", name)  # the printed name goes into signatures and email subjects
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    created = user is None
    if created:
        user = user_model(username=username)
    _validate(password, user)
    before = (
        None
        if created
        else {"role": role_of(user), "name": user.get_full_name(), "active": user.is_active, "staff": user.is_staff}
    )
    user.set_password(password)
    # A new password (even the same one) ends every session and token the user had.
    ended = {"sessions": 0, "tokens": 0} if created else end_sessions_and_tokens(user)
    if name:
        user.first_name, _, user.last_name = name.partition(" ")
    if email:
        user.email = email
    user.is_active = True
    if staff is not None:
        user.is_staff = staff  # may use the read-only admin
    user.save()
    user.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()))
    user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    profile = BoardMember.objects.filter(user=user).first()
    if role == "board":
        profile = profile or BoardMember(user=user)
        profile.display_name = name or profile.display_name or username
        if specialties is not None:
            profile.specialties = sorted(set(specialties))
        if credentials_valid_until is not None:
            profile.credentials_valid_until = credentials_valid_until
        profile.active = True
        profile.save()
    elif profile is not None:
        profile.active = False  # a former board member keeps the record of their decisions
        profile.save(update_fields=["active"])
    after = {"role": role, "name": name or user.get_full_name(), "active": True, "staff": user.is_staff}
    if role == "board":
        after["specialties"] = profile.specialties
        after["credentials_valid_until"] = (
            profile.credentials_valid_until.isoformat() if profile.credentials_valid_until else None
        )
    if not created:
        after["ended"] = ended
    record_event("user.create" if created else "user.update", actor=actor, obj=user, before=before, after=after)
    return user


def _validate(password: str, user) -> None:
    """Django's password validators (length, common, numeric, like the username): 400 with their sentences."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), errors={"password": error.messages}) from error


def end_sessions_and_tokens(user) -> dict:
    """End every session and API token the user has (on a new password, or a deactivation)."""
    tokens, _ = AuthToken.objects.filter(user=user).delete()
    # Sessions are stored by key, not by user: read the live ones (an editorial team has few).
    mine = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    sessions, _ = Session.objects.filter(session_key__in=mine).delete()
    return {"sessions": sessions, "tokens": tokens}


@service_transaction
def change_password(user, *, new_password: str) -> dict:
    """The user's own new password (already checked by the form's old-password field): validated, set, and
    every other session and token ended; audited."""
    _validate(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    ended = end_sessions_and_tokens(user)
    record_event("user.password_change", actor=user, obj=user, after={"ended": ended})
    return ended


@service_transaction
def deactivate_user(username: str, *, reason: str, actor=None):
    """End an account: sign-in refused, every session and token ended, board membership inactive; the user's
    records and signatures stay. Editors are told about the member's open assignments."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required to deactivate a user.", errors={"reason": ["This field is required."]})
    user = get_user_model().objects.select_for_update(no_key=True).filter(username=username).first()
    if user is None:
        raise NotFound(f"There is no user {username!r}.")
    if not user.is_active:
        raise StateConflict(f"{username} is already deactivated.", "already_deactivated")
    user.is_active = False
    user.save(update_fields=["is_active"])
    BoardMember.objects.filter(user=user).update(active=False)
    ended = end_sessions_and_tokens(user)
    open_assignments = list(Assignment.objects.pending().filter(reviewer=user).values_list("article_id", flat=True))
    event = record_event(
        "user.deactivate",
        actor=actor,
        obj=user,
        before={"active": True},
        after={"active": False, "ended": ended, "open_assignments": open_assignments},
        reason=reason,
    )
    if open_assignments:
        notify(
            NotificationKind.ACCOUNT,
            event=event,
            recipients=[EVERY_EDITOR],
            subject=f"{username} was deactivated with {len(open_assignments)} open review(s)",
            body=f"Reason: {reason}. Assign other board members to these articles: "
            + ", ".join(f"#{pk}" for pk in open_assignments),
        )
    return user


@service_transaction
def record_lockout(*, username: str, address: str) -> None:
    """A username locked out after repeated failed sign-ins (django-axes): audited once per lock, logged for
    every attempt refused while it lasts."""
    security_log.warning("sign-in locked out username=%r address=%r", username, address)
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    if AuditEvent.objects.filter(action="account.lock", at__gte=since, after__username=username).exists():
        return
    user = get_user_model().objects.filter(username=username).first()
    record_event(
        "account.lock", actor=None, obj=user, after={"username": username, "address": address, "what": "sign-in"}
    )


@service_transaction
def unlock_sign_in(username: str, *, actor) -> int:
    """An editor lifts a username's sign-in lockout (its failed attempts are forgotten); audited."""
    permissions.require_can_unlock_accounts(actor)
    reset = reset_sign_in_failures(username=username)
    user = get_user_model().objects.filter(username=username).first()
    record_event("account.unlock", actor=actor, obj=user, after={"username": username, "what": "sign-in"})
    return reset
