"""Creating and updating users with exactly one role (and a board profile for board members)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from editorial.audit import record_event
from editorial.exceptions import InvalidInput
from editorial.roles import ROLE_GROUPS, role_of
from reviewers.models import BoardMember


@transaction.atomic
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
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    created = user is None
    if created:
        user = user_model(username=username)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), errors={"password": error.messages}) from error
    before = (
        None
        if created
        else {"role": role_of(user), "name": user.get_full_name(), "active": user.is_active, "staff": user.is_staff}
    )
    user.set_password(password)
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
    record_event("user.create" if created else "user.update", actor=actor, obj=user, before=before, after=after)
    return user
