"""The readers' report and question forms: the shape of the input, and its state when shown again."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from editorial.models import ReaderReportKind

HONEYPOT = "website"
FEEDBACK_FORMS = (
    ("problem", "Report a problem", "What is wrong or unclear?", "Send report"),
    ("question", "Have a follow-up question?", "Your question", "Send question"),
)


class ReaderReportForm(forms.Form):
    """The shape of the input; the service decides what a message must be and how often one may send."""

    kind = forms.ChoiceField(choices=ReaderReportKind.choices)
    version = forms.IntegerField(required=False, min_value=1)
    message = forms.CharField(required=False, strip=False)
    email = forms.EmailField(required=False, max_length=254)
    audience = forms.CharField(required=False, max_length=30)
    website = forms.CharField(required=False)  # the honeypot: people never see it, simple bots fill it


@dataclass
class Feedback:
    """The reader-report forms' state when the page is shown again after a refused submission."""

    kind: str = ""
    message: str = ""
    email: str = ""
    error: str = ""
