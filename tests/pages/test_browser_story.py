"""The whole story in a real browser: drafted, reviewed with a safety concern, revised, approved, published, audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from articles.models import Article
from tests.factories import PASSWORD, make_user
from tests.pages.browser import decide, declare_no_conflict, screenshot, select_text, sign_in, sign_out, transition

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TITLE = "Do statins prevent heart attacks?"
SENTENCE = "Statins lower LDL cholesterol by about a third in most adults"
BODY = (
    "## From the Guidelines\n\n"
    f"{SENTENCE} [1].\n\n"
    "## From the Research\n\n"
    "A large trial found fewer heart attacks in people taking statins [2].\n"
)


def test_the_whole_story(live_server, page: Page, console_errors):
    url = live_server.url
    make_user("author", username="alice", first_name="Alice", last_name="Author")
    make_user("editor", username="emma", first_name="Emma", last_name="Editor")
    make_user("auditor", username="oscar", first_name="Oscar", last_name="Auditor")
    make_user("board", username="drjones", display_name="Sam Jones, MD", specialties=["cardiology"])
    make_user("board", username="drlee", display_name="Kim Lee, MD, PhD", specialties=["oncology"])

    # The author drafts and submits.
    sign_in(page, url, "alice", PASSWORD)
    page.goto(f"{url}/desk/articles/new/")
    page.get_by_label("Title").fill(TITLE)
    page.locator("#id_body").fill(BODY)
    rows = page.locator(".reference-row")
    rows.nth(0).locator('select[name$="-kind"]').select_option("guideline")
    rows.nth(0).locator('[name$="-citation"]').fill("2019 ESC/EAS Guidelines for the management of dyslipidaemias.")
    rows.nth(1).locator('select[name$="-kind"]').select_option("research")
    rows.nth(1).locator('[name$="-citation"]').fill("Cholesterol Treatment Trialists. Lancet 2010.")
    expect(page.locator("#preview")).to_contain_text("Statins lower LDL")
    screenshot(page, "author-editor")
    page.locator("#save-article").click()
    page.wait_for_load_state("networkidle")
    article = Article.objects.get()
    expect(page).to_have_url(re.compile(rf"/desk/articles/{article.pk}/$"))
    transition(page, "submit")
    assert Article.objects.get().state == "submitted"
    sign_out(page)

    # The editor asks for two approvals and assigns two board members, then starts the review.
    sign_in(page, url, "emma", PASSWORD)
    page.goto(f"{url}/desk/editor/articles/{article.pk}/")
    page.locator("#quorum-input").fill("2")
    page.locator("#save-settings").click()
    page.wait_for_load_state("networkidle")
    for username in ("drjones", "drlee"):
        page.locator("#reviewer").fill(username)
        page.locator("#assign-submit").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator(f"#assignment-{username}")).to_be_visible()
    screenshot(page, "editor-article")
    page.locator("#start-review").click()
    page.wait_for_load_state("networkidle")
    assert Article.objects.get().state == "under_review"
    page.goto(f"{url}/desk/editor/")
    screenshot(page, "editor-desk")
    sign_out(page)

    # One board member selects a sentence and files a safety concern, then asks for changes.
    sign_in(page, url, "drjones", PASSWORD)
    page.goto(f"{url}/desk/review/")
    screenshot(page, "review-queue")
    page.goto(f"{url}/desk/articles/{article.pk}/")
    declare_no_conflict(page)
    select_text(page, "#revision-text", SENTENCE)
    form = page.locator("#annotation-form")
    expect(form.get_by_label("Quote")).to_have_value(SENTENCE)
    form.get_by_label("Kind").select_option("safety")
    form.get_by_label("Note").fill("State the absolute risk reduction, not only the relative one.")
    form.get_by_role("button", name="Add annotation").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#threads")).to_contain_text("absolute risk reduction")
    expect(page.locator("#revision-text mark.annotation.blocking")).to_have_text(SENTENCE)
    screenshot(page, "review-workspace")
    decide(page, "request_changes", "See the safety concern.")
    assert Article.objects.get().state == "changes_requested"
    sign_out(page)

    # The author revises; the concern is carried onto the new revision and the author answers it with a reply
    # (a blocking concern is closed by whoever raised it).
    sign_in(page, url, "alice", PASSWORD)
    page.goto(f"{url}/desk/articles/{article.pk}/edit/")
    page.locator("#id_body").fill(
        "Statins are medicines that lower cholesterol.\n\n"
        + BODY.replace(f"{SENTENCE} [1].", f"{SENTENCE} [1]; the absolute reduction depends on baseline risk.")
    )
    page.get_by_label("Change summary").fill("Absolute risk added")
    page.locator("#save-article").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#revision-text mark.annotation.blocking")).to_have_text(SENTENCE)  # re-anchored on revision 2
    thread = page.locator("#threads li[data-kind='safety']")
    expect(thread.locator('button[data-action="resolve"]')).to_have_count(0)
    thread.locator("textarea").fill("Added the absolute reduction.")
    thread.locator('button[data-action="reply"]').click()
    page.wait_for_load_state("networkidle")
    transition(page, "revise")  # back to draft; the page offers the editor
    page.goto(f"{url}/desk/articles/{article.pk}/")
    transition(page, "submit")
    assert Article.objects.get().state == "submitted"
    sign_out(page)

    sign_in(page, url, "emma", PASSWORD)
    page.goto(f"{url}/desk/editor/articles/{article.pk}/")
    page.locator("#start-review").click()
    page.wait_for_load_state("networkidle")
    sign_out(page)

    # The member who raised the concern resolves it; both sign their approvals.
    for username, declare in (("drjones", False), ("drlee", True)):
        sign_in(page, url, username, PASSWORD)
        page.goto(f"{url}/desk/articles/{article.pk}/")
        if username == "drjones":
            concern = page.locator("#threads li[data-kind='safety']")
            expect(concern).to_contain_text("Added the absolute reduction.")
            concern.locator("textarea").fill("The absolute reduction answers it.")
            concern.locator('button[data-action="resolve"]').click()
            page.wait_for_load_state("networkidle")
        if declare:
            declare_no_conflict(page)
        decide(page, "approve", "Accurate and well sourced.")
        sign_out(page)
    assert Article.objects.get().state == "approved"

    # The editor publishes.
    sign_in(page, url, "emma", PASSWORD)
    page.goto(f"{url}/desk/editor/articles/{article.pk}/")
    page.locator("#publish-now").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#version-1")).to_be_visible()
    sign_out(page)

    # An anonymous reader sees Approved, the reviewers' names and v1.
    page.context.clear_cookies()
    page.goto(f"{url}/articles/{article.slug}/")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator('.stepper [aria-current="step"]')).to_contain_text("Approved")
    expect(page.locator(".reviewed-by")).to_contain_text("Sam Jones, MD")
    expect(page.locator(".reviewed-by")).to_contain_text("Kim Lee, MD, PhD")
    expect(page.get_by_text("pending human review")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("v1")
    screenshot(page, "public-article")

    # The auditor finds every step in the timeline and exports it.
    sign_in(page, url, "oscar", PASSWORD)
    page.goto(f"{url}/desk/audit/articles/{article.pk}/")
    timeline = page.locator("#timeline")
    steps = [
        "article.create",
        "article.submit",
        "assignment.create",
        "article.start_review",
        "conflict.declare",
        "annotation.create",
        "decision.request_changes",
        "revision.create",
        "annotation.reanchor",
        "annotation.reply",
        "annotation.resolve",
        "article.revise",
        "decision.approve",
        "article.approve",
        "version.publish",
    ]
    for action in steps:
        expect(timeline).to_contain_text(action)
    screenshot(page, "audit-timeline")
    page.goto(f"{url}/desk/audit/?article={article.pk}")
    screenshot(page, "audit-log")
    with page.expect_download() as download:
        page.locator("#export-csv-file").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    for action in steps:
        assert action in exported
    page.goto(f"{url}/desk/notifications/")
    screenshot(page, "inbox")
    assert console_errors == []
