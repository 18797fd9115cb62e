"""API.md "Users": `manage.py add_user` creates or updates a user with exactly one role, audited."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import CommandError, call_command

from editorial.audit import verify_chain
from editorial.models import AuditEvent
from editorial.roles import ROLE_GROUPS
from reviewers.models import BoardMember

pytestmark = pytest.mark.django_db

User = get_user_model()
STRONG = "a long enough password 1"


def add_user(*args, **options) -> str:
    out = StringIO()
    call_command("add_user", *args, stdout=out, **options)
    return out.getvalue()


def groups_of(username: str) -> set[str]:
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


@pytest.mark.parametrize("role", ["author", "board", "editor", "auditor"])
def test_creates_a_user_of_each_role(role):
    output = add_user(f"new_{role}", role=role, password=STRONG)
    assert f"new_{role}: {role}" in output
    user = User.objects.get(username=f"new_{role}")
    assert user.is_active and user.check_password(STRONG)
    assert groups_of(f"new_{role}") == {ROLE_GROUPS[role]}
    assert BoardMember.objects.filter(user=user).exists() == (role == "board")
    event = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert event.after["role"] == role and event.before is None and event.actor is None
    assert verify_chain().ok


def test_role_permissions_follow_the_group():
    add_user("ed", role="editor", password=STRONG)
    add_user("au", role="author", password=STRONG)
    assert User.objects.get(username="ed").has_perm("articles.view_any_article")
    assert not User.objects.get(username="au").has_perm("articles.view_any_article")
    assert User.objects.get(username="au").has_perm("articles.add_article")


def test_board_member_with_name_and_specialties():
    add_user(
        "roe",
        "--specialty",
        "cardiology",
        "--specialty",
        "oncology",
        role="board",
        password=STRONG,
        name="Jane Roe, MD",
        credentials_valid_until=datetime.date(2030, 1, 31),
    )
    profile = BoardMember.objects.get(user__username="roe")
    assert profile.display_name == "Jane Roe, MD"
    assert profile.specialties == ["cardiology", "oncology"]
    assert profile.credentials_valid_until == datetime.date(2030, 1, 31)
    assert profile.active
    event = AuditEvent.objects.get(action="user.create")
    assert event.after["specialties"] == ["cardiology", "oncology"]
    assert event.after["name"] == "Jane Roe, MD"


def test_rerun_updates_password_and_replaces_role():
    add_user("sam", role="author", password=STRONG)
    user = User.objects.get(username="sam")
    add_user("sam", role="editor", password="another long password")
    user.refresh_from_db()
    assert User.objects.filter(username="sam").count() == 1
    assert user.check_password("another long password") and not user.check_password(STRONG)
    assert groups_of("sam") == {ROLE_GROUPS["editor"]}  # replaced, not added
    update = AuditEvent.objects.get(action="user.update")
    assert update.before["role"] == "author" and update.after["role"] == "editor"
    assert list(AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True)) == [
        "user.create",
        "user.update",
    ]


def test_rerun_as_board_creates_profile_then_leaving_board_deactivates_it():
    add_user("lee", role="author", password=STRONG)
    add_user("lee", "--specialty", "neurology", role="board", password=STRONG, name="Dr Lee")
    profile = BoardMember.objects.get(user__username="lee")
    assert profile.active and profile.specialties == ["neurology"] and profile.display_name == "Dr Lee"
    assert groups_of("lee") == {ROLE_GROUPS["board"]}
    # Updating the board member keeps specialties when none are given, replaces them when given.
    add_user("lee", role="board", password=STRONG)
    assert BoardMember.objects.get(user__username="lee").specialties == ["neurology"]
    add_user("lee", "--specialty", "oncology", role="board", password=STRONG)
    assert BoardMember.objects.get(user__username="lee").specialties == ["oncology"]
    # Leaving the board: the profile stays (decisions refer to it) but is inactive.
    add_user("lee", role="auditor", password=STRONG)
    assert groups_of("lee") == {ROLE_GROUPS["auditor"]}
    assert not BoardMember.objects.get(user__username="lee").active
    assert AuditEvent.objects.filter(action="user.update").count() == 4


def test_rerun_reactivates_a_deactivated_user():
    add_user("old", role="author", password=STRONG)
    User.objects.filter(username="old").update(is_active=False)
    add_user("old", role="author", password=STRONG)
    assert User.objects.get(username="old").is_active


def test_unknown_role_is_refused():
    with pytest.raises((CommandError, SystemExit)):
        add_user("x", role="superuser", password=STRONG)
    assert not User.objects.filter(username="x").exists()
    assert not AuditEvent.objects.exists()


def test_missing_role_or_password_is_refused():
    with pytest.raises((CommandError, SystemExit)):
        add_user("x", password=STRONG)
    with pytest.raises((CommandError, SystemExit)):
        add_user("x", role="author")
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(
    ("password", "because"),
    [
        ("short", "too short"),
        ("password1234", "too common"),
        ("48151623424815", "entirely numeric"),
        ("weakling12345", "too similar"),
    ],
)
def test_weak_password_is_refused_and_nothing_is_written(password, because):
    """Django's four validators: the command exits non-zero with their sentence and writes nothing."""
    with pytest.raises(CommandError, match=because):
        add_user("weakling", role="author", password=password)
    assert not User.objects.filter(username="weakling").exists()
    assert not AuditEvent.objects.exists()


def test_a_weak_new_password_leaves_an_existing_user_unchanged():
    add_user("kept", role="author", password=STRONG)
    with pytest.raises(CommandError):
        add_user("kept", role="editor", password="short")
    user = User.objects.get(username="kept")
    assert user.check_password(STRONG) and groups_of("kept") == {"Authors"}
    assert AuditEvent.objects.filter(action="user.update").count() == 0


def test_new_user_can_get_a_token(api):
    cache.clear()  # the login throttle counts in the cache
    add_user("tok", role="author", password=STRONG)
    response = api.post("/api/v1/auth/token/", {"username": "tok", "password": STRONG}, format="json")
    assert response.status_code == 200 and response.json()["token"]
