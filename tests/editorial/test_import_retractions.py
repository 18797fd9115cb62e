"""`manage.py import_retractions FILE.csv`: each row added as the API adds one; counts of added, skipped, invalid."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from editorial.models import AuditEvent, ReferenceRetraction
from tests.api.test_reference_retractions import BODY, RETRACTED_DOI, references, retracted_checks
from tests.factories import reviewed_article

pytestmark = pytest.mark.django_db

CSV = f"""doi,pmid,note
https://doi.org/{RETRACTED_DOI},,Retracted by the journal.
,32511234,Retracted: data could not be verified.
10.12/abc,,A malformed DOI.
{RETRACTED_DOI.lower()},,The same work again.
10.1000/both,12345,Both given.
,,Neither given.
10.1000/no-note,,
"""


def run(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_retractions", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_rows_are_added_skipped_or_reported(tmp_path, author, editor, board):
    article = reviewed_article(author, editor, [board], title="Do statins prevent heart attacks?", body=BODY,
                               references=references())  # fmt: skip
    path = tmp_path / "retractions.csv"
    path.write_text(CSV, encoding="utf-8")
    out, err = run(path)
    assert out.strip() == "added 2, skipped 1, invalid 4"
    assert [line.split(":")[0] for line in err.splitlines()] == ["invalid"] * 4
    assert "line 4" in err and "line 6" in err and "line 7" in err and "line 8" in err
    assert sorted(r.identifier for r in ReferenceRetraction.objects.all()) == [
        "doi:10.1016/s0140-6736(20)31180-6",
        "pmid:32511234",
    ]
    assert {r.created_by for r in ReferenceRetraction.objects.all()} == {None}
    assert AuditEvent.objects.filter(action="retraction.create", actor=None).count() == 2
    # The import does what the API does: the article under review that cites it is blocked.
    assert [c.blocking for c in retracted_checks(article)] == [True]


def test_running_it_again_adds_nothing(tmp_path):
    path = tmp_path / "retractions.csv"
    path.write_text(CSV, encoding="utf-8")
    run(path)
    out, _ = run(path)
    assert out.strip() == "added 0, skipped 3, invalid 4"
    assert ReferenceRetraction.objects.count() == 2


def test_a_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "retractions.csv"
    path.write_text("identifier,why\n10.1000/x,retracted\n", encoding="utf-8")
    with pytest.raises(CommandError, match="doi, note, pmid"):
        run(path)
    assert not ReferenceRetraction.objects.exists()


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "absent.csv")
