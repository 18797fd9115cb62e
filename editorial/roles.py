"""The four roles: Django groups, and the role names used by `add_user`."""

AUTHORS = "Authors"
BOARD = "Advisory Board"
EDITORS = "Managing Editors"
AUDITORS = "Auditors"

ROLE_GROUPS = {"author": AUTHORS, "board": BOARD, "editor": EDITORS, "auditor": AUDITORS}
