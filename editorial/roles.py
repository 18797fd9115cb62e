"""The four roles: Django groups, and the role names used by `add_user`."""

AUTHORS = "Authors"
BOARD = "Advisory Board"
EDITORS = "Managing Editors"
AUDITORS = "Auditors"

ROLE_GROUPS = {"author": AUTHORS, "board": BOARD, "editor": EDITORS, "auditor": AUDITORS}


def role_of(user) -> str | None:
    """The user's role name (author, board, editor, auditor), from their group; None for none."""
    if not user.is_authenticated:
        return None
    names = {group.name for group in user.groups.all()}
    return next((role for role, group in ROLE_GROUPS.items() if group in names), None)
