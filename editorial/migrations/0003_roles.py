"""Create the four role groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Authors": [
        "articles.add_article",
        "articles.change_article",
    ],
    "Advisory Board": [
        "articles.decide_article",
        "reviewers.add_conflictdeclaration",
        "reviewers.change_assignment",
    ],
    "Managing Editors": [
        "articles.add_article",
        "articles.change_article",
        "articles.view_any_article",
        "articles.edit_any_article",
        "articles.start_review",
        "articles.publish_article",
        "reviewers.add_assignment",
        "reviewers.view_assignment",
        "reviewers.view_boardmember",
        "editorial.view_auditevent",
    ],
    "Auditors": [
        "articles.view_any_article",
        "reviewers.view_assignment",
        "reviewers.view_boardmember",
        "editorial.view_auditevent",
        "editorial.verify_auditevent",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so groups can hold them.
    for label in ("articles", "reviewers", "editorial"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # the migration state's stub lacks it
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0002_audit_triggers"),
        ("articles", "0001_initial"),
        ("reviewers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
