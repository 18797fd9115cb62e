"""The plain-language summary and how a revision was drafted belong to the revision.

Existing data: each existing revision gets the summary as it stands. A revision that was published takes
the summary its latest version was published with (what readers saw beside it); any other revision takes
the article's summary as it stands now. Existing revisions keep their content hash, computed over title,
body and references only (`hash_version` 1): signatures made before this migration did not cover the
summary, and the record says so rather than rewriting them. New revisions hash the summary too (version 2).
"""

from django.db import migrations, models


def summaries_into_revisions(apps, schema_editor):
    Revision = apps.get_model("articles", "Revision")
    PublishedVersion = apps.get_model("articles", "PublishedVersion")
    published = {}
    for version in PublishedVersion.objects.order_by("number").values("revision_id", "plain_language_summary"):
        published[version["revision_id"]] = version["plain_language_summary"]  # the latest version wins
    for revision in Revision.objects.select_related("article").iterator():
        summary = published.get(revision.pk, revision.article.plain_language_summary)
        Revision.objects.filter(pk=revision.pk).update(plain_language_summary=summary, hash_version=1)


def summaries_back_onto_articles(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    for article in Article.objects.select_related("current_revision").iterator():
        if article.current_revision_id:
            Article.objects.filter(pk=article.pk).update(
                plain_language_summary=article.current_revision.plain_language_summary
            )


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_version_summary")]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.AddField(
            model_name="revision",
            name="plain_language_summary",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="revision",
            name="source",
            field=models.CharField(
                choices=[("human", "Written by a person"), ("machine", "Drafted by a machine")],
                default="human",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="revision",
            name="source_model",
            field=models.CharField(blank=True, help_text="The model that drafted it.", max_length=200),
        ),
        migrations.AddField(model_name="revision", name="source_note", field=models.TextField(blank=True)),
        migrations.RunPython(summaries_into_revisions, summaries_back_onto_articles),
        migrations.RemoveField(model_name="article", name="plain_language_summary"),
        migrations.RemoveField(model_name="publishedversion", name="plain_language_summary"),
    ]
