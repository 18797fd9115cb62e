"""Automated checks of a revision: pure rules over its plain text and references that return findings."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from articles.rendering import CITATION_PATTERN, HEADING_TAGS

# ---------------------------------------------------------------------------------------------
# Building blocks of the patterns. Python's \s matches Unicode spaces (no-break, thin, narrow
# no-break), so "500\u00a0mg" and "500\u2009mg" are doses like "500 mg".

DASHES = "-‐‑‒–—−"  # hyphen-minus, hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus
_DASH = f"[{DASHES}]"
# 5,000 / 2.5 / 2,5 (decimal comma) / .5 (a naked decimal is still a dose); not part of a longer token.
_NUMBER = r"(?<![\w.,])(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)?|\.\d+)"
_RANGE = rf"(?:\s*{_DASH}\s*|\s+(?:to|or)\s+)"
_END = r"(?![A-Za-z0-9µμ_])"  # not \b: "m²" must end a unit, and "²" counts as a word character

# Dose units. A dose statement is a number or range with one of these; years, ages, percentages and
# counts of patients have none, so they are never doses. Decisions (medically conservative: when
# unsure, flag; a false positive costs the reviewer a click, a missed dose costs more):
# - mmol and mEq are dose units (potassium chloride 20 mmol over 2 hours) unless the amount is a
#   laboratory value (mmol/L, mmol/mol: see _LAB_VALUE);
# - amounts in diet and lifestyle ("25 g of fibre", "2 L of water", "14 units of alcohol") are flagged:
#   the rule cannot tell a food from a supplement or a medicine;
# - tablets, capsules, puffs, drops... are dose units ("2 tablets at night");
# - kg alone is a body weight, not a dose (mg/kg is); single letters are case-sensitive ("g", "L"/"l",
#   "U") so that "5G" or "Grade 3 G" are not doses.
_UNIT = (
    r"(?:mg|mcg|[µμ]g|ug|ng|milligrams?|micrograms?|grams?|(?-i:g)"
    r"|m[lL]|millilit(?:re|er)s?|lit(?:re|er)s?|(?-i:L|l)"
    r"|international\s+units?|units?|IU|mmol|mEq|millimoles?|(?-i:U)"
    r"|tablets?|tabs?|capsules?|caps?|puffs?|drops?|sachets?|sprays?|patch(?:es)?|ampoules?|lozenges?"
    r"|suppositor(?:y|ies)|pessar(?:y|ies))" + _END
)
# Per body weight or area, per volume of a liquid medicine (250 mg/5 mL), per time (mg/day, units/h).
_PER = (
    r"(?:\s*/\s*(?:kg|m²|m2|m\^2)" + _END + r"|\s+per\s+(?:kg|m²|m2|square\s+met(?:re|er))" + _END + r")?"
    r"(?:\s*/\s*\d+(?:[.,]\d+)?\s*m[lL]" + _END + r")?"
    r"(?:\s*/\s*(?:24\s*h(?:ours?)?|days?|d|hours?|hr|h|minutes?|min|weeks?|wk|doses?)" + _END + r")?"
)
DOSE_PATTERN = re.compile(rf"{_NUMBER}(?:\s*{_UNIT})?(?:{_RANGE}{_NUMBER})?\s*(?P<unit>{_UNIT}){_PER}", re.I)

# A unit followed by one of these is a laboratory value, not a dose: 5 mg/dL, 135 mmol/L, 13 g/dL,
# 48 mmol/mol, 2 mg per litre, an eGFR of 60 mL/min/1.73 m².
_LAB_VALUE = re.compile(
    r"\s*(?:/\s*(?:d?l|mol|mmol|µl|μl)|per\s+(?:deci)?lit(?:re|er))" + _END + r"|\s*/\s*1[.,]73\s*m(?:²|2)", re.I
)
# Per millilitre, only ng/mL is a laboratory value; mg/mL and units/mL stay doses: a drug's strength
# (insulin 100 units/mL) is where dosing errors happen.
_PER_ML = re.compile(r"\s*/\s*ml" + _END, re.I)
_LAB_UNITS_PER_ML = frozenset({"ng"})

_SMALL_NUMBER = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|ten|twelve)"
_AMOUNT = rf"{_SMALL_NUMBER}(?:{_RANGE}{_SMALL_NUMBER})?"
_PERIOD = r"(?:a|per|each|every)\s+(?:day|week|month|hour|night|morning|evening)"
# What may follow a dose and belongs to the statement: route, frequency, timing, duration.
ROUTE_PATTERN = re.compile(
    r"(?:orally|oral|by\s+mouth|per\s+os|p\.o\.|PO|intravenously|intravenous|i\.v\.|IV"
    r"|by\s+(?:slow\s+)?(?:intravenous\s+|IV\s+)?(?:injection|infusion)"
    r"|as\s+an?\s+(?:IV\s+|intravenous\s+)?(?:infusion|injection|bolus)"
    r"|intramuscularly|intramuscular|i\.m\.|IM|subcutaneously|subcutaneous|subcut|s\.c\.|SC|SQ"
    r"|topically|inhaled|by\s+inhalation|via\s+(?:a\s+)?(?:spacer|nebuli[sz]er|inhaler)|nebuli[sz]ed"
    r"|sublingually|SL|buccally|rectally|PR|vaginally|intranasally|nasally|transdermally|intrathecally)"
    r"(?![A-Za-z0-9])",
    re.I,
)
FREQUENCY_PATTERN = re.compile(
    r"(?:(?:once|twice|thrice|(?:\d+|one|two|three|four|five|six)\s+times)"
    rf"(?:\s+(?:daily|weekly|monthly|{_PERIOD}))?"
    r"|(?:once\s+)?(?:daily|nightly|weekly|fortnightly|monthly|hourly)|(?:on\s+)?alternate\s+days"
    rf"|every\s+other\s+day|{_PERIOD}"
    rf"|every\s+(?:{_AMOUNT}\s*)?(?:hours?|hrs?|h|days?|weeks?|months?|minutes?|mins?)"
    r"|q\.?\s?\d+(?:\s?[-–]\s?\d+)?\s?h(?:rs?|ours?)?"
    r"|bd|b\.d\.|bid|b\.i\.d\.|tid|t\.i\.d\.|tds|t\.d\.s\.|qid|q\.i\.d\.|qds|q\.d\.s\.|od|o\.d\.|qd|q\.d\."
    r"|qhs|nocte|mane|stat|prn|p\.r\.n\."
    r"|as\s+(?:needed|required|necessary)|when\s+(?:needed|required)|if\s+needed|on\s+demand"
    r"|at\s+(?:night|bedtime)|in\s+the\s+(?:morning|evening)|before\s+bed(?:time)?"
    r"|(?:with|before|after)\s+(?:food|meals|breakfast)"
    r"|(?:as\s+a\s+)?single\s+dose|(?:in\s+)?(?:\d+|two|three|four)?\s*divided\s+doses|as\s+a\s+loading\s+dose"
    rf"|(?:for|over)\s+{_AMOUNT}\s*(?:hours?|hrs?|h|minutes?|mins?|days?|weeks?|months?))"
    r"(?![A-Za-z0-9])",
    re.I,
)
# Between the dose and its route or frequency: spaces, a comma ("500 mg orally, three times daily").
_DOSE_LINK = re.compile(r"[\s,]*")
# Before the dose and part of it: "maximum 4 g per day", "up to 10 mg".
_DOSE_LIMIT = re.compile(
    r"(?<![\w])(?:max(?:imum)?\.?(?:\s+(?:daily\s+)?(?:dose\s+)?of)?|up\s+to|no\s+more\s+than|not\s+(?:to\s+)?exceed"
    r"(?:ing)?|at\s+most)\s*:?\s*$",
    re.I,
)

# Absolute wording. Each is also left alone when just negated ("not always", "no known cure",
# "isn't completely safe", "not guaranteed"): that is a hedge, the opposite of an absolute claim.
# "never smoked" / "never-smokers" / "never drinkers" / "never users" are epidemiological groups, not
# claims; "never smoke" (advice) and "never used" are flagged.
ABSOLUTE_PATTERNS = tuple(
    re.compile(p, re.I)
    for p in (
        r"\balways\b",
        r"\bnever\b(?!(?:\s+|\s*[-‐‑]\s*)(?:smok(?:ed|ers?|ing)|drink(?:ers?|ing)|drank|users?)\b)",
        r"\bcur(?:e|es|ed|ing)\b(?:\s+for\b|[\s-]+all\b)?",
        r"\bguarantee[sd]?\b",
        r"\b100\s*(?:%|per\s*cent|percent)\s+(?:effective|safe|successful|success\s+rate|cure\s+rate)\b",
        r"\b(?:no|zero|without(?:\s+any)?|free\s+(?:of|from))\s+side[\s-]+effects?\b",
        r"\bside[\s-]+effect[\s-]+free\b",
        r"\b(?:completely|totally|perfectly|entirely|absolutely)\s+safe\b",
        r"\brisk[\s-]+free\b",
        r"\b(?:clinically|scientifically)\s+proven\b|\bproven\s+to\b|\bprove[sd]?\s+that\b",
        r"\bmiracle\b|\bmiraculous(?:ly)?\b",
    )
)
_NEGATED = re.compile(r"(?:\b(?:no|not|cannot|nor|without|hardly)|n[’']t)(?:\s+(?!only\b|just\b)\w+)?\s+$", re.I)

# A DOI is 10.<registrant of 4+ digits, maybe with subdivisions>/<suffix without spaces>; a PMID is 1 to 9 digits.
DOI_PATTERN = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")
PMID_PATTERN = re.compile(r"\d{1,9}")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.|www\.)?doi\.org/|doi:\s*)", re.I)
_PMID_PREFIX = re.compile(r"^pmid\s*:?\s*", re.I)
MARKER_PATTERN = re.compile(CITATION_PATTERN)


@dataclass(frozen=True)
class Rule:
    name: str
    message: str  # a template; the fields it names are filled in by the rule's function
    blocking: bool  # True: the finding must be resolved before the article can be approved
    where: str  # what the rule reads
    patterns: tuple[re.Pattern[str], ...] = ()


RULES: tuple[Rule, ...] = (
    Rule(
        "dosage",
        "Dose statement: verify {dose} against the cited source.",
        False,
        "every block, headings included: a dose is worth checking wherever it stands",
        (DOSE_PATTERN, ROUTE_PATTERN, FREQUENCY_PATTERN),
    ),
    Rule(
        "uncited_claim",
        "No citation marker in this sentence: cite the source that supports it, or confirm it needs none.",
        False,
        "each sentence of paragraphs, list items, table cells and quotations; not headings or code",
        (MARKER_PATTERN,),
    ),
    Rule(
        "absolute_claim",
        'Absolute wording "{wording}": check that the cited source supports it, or qualify the claim.',
        False,
        "the text outside headings and code",
        ABSOLUTE_PATTERNS,
    ),
    Rule(
        "reference_format",
        "Reference [{number}]: {problem}.",
        False,
        "the references (DOI, PMID, duplicates), and the markers against them",
        (DOI_PATTERN, PMID_PATTERN, MARKER_PATTERN),
    ),
    Rule(
        "retracted_reference",
        "Reference [{number}] has been retracted ({identifier}): remove it or cite a current source.",
        True,
        "the references against the retracted identifiers; found on each marker citing them",
        (MARKER_PATTERN,),
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}

# A sentence needs at least this many words to count as a claim ("See below.", a table cell "Dose").
MIN_CLAIM_WORDS = 4
# Blocks whose text is not prose claims: headings, and code.
NOT_CLAIMS = HEADING_TAGS | {"pre"}

# The full stop after these does not end a sentence (compared in lower case, without the final ".").
# Not "ms" or "v": "patients with MS." and "factor V." end sentences more often than "Ms." or "v." do not.
ABBREVIATIONS = frozenset(
    {"e.g", "eg", "i.e", "ie", "al", "vs", "dr", "drs", "mr", "mrs", "prof", "approx", "cf", "resp", "incl"}
)
# ... nor after these when a number follows ("No. 5", "p. 12", "Fig. 2", "ca. 500").
NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "vol", "p", "pp", "ref", "refs", "fig", "figs", "ch", "sect", "ca"})
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’»)]*(?:\s*\[\d{1,4}\])*(?=\s|$)")
_HARD_BREAK = re.compile(r"\n[^\S\n]*\n")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class Finding:
    rule: str
    start: int | None  # code points in the revision's plain text; None for a reference with no place
    end: int | None
    exact: str  # text[start:end], or ""
    sentence: str  # the sentence it stands in, whitespace collapsed; "" when it has no place
    message: str
    blocking: bool
    key: str  # stable across revisions: rule, normalised wording, reference number; "#2"... for repeats
    reference: int | None = None  # the reference number, for reference findings


@dataclass(frozen=True)
class Segment:
    """A stretch of the text inside one block (the innermost one): a paragraph, a list item, a cell."""

    tag: str  # "p", "h2", "li", "td"...; "" for text outside any block
    start: int
    end: int


# ---------------------------------------------------------------------------------------------
# Identifiers


def normalise_doi(doi: str) -> str:
    """A DOI lower-cased, without whitespace or a https://doi.org/ or doi: prefix."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", doi or "")).lower()
    previous = None
    while previous != value:  # "doi:https://doi.org/10...." has two prefixes
        previous, value = value, _DOI_PREFIX.sub("", value)
    return value


def normalise_pmid(pmid: str) -> str:
    """A PMID's digits only."""
    return re.sub(r"[^0-9]", "", pmid or "")


def _normalise_identifier(identifier: str) -> str:
    value = identifier.strip()
    if value.lower().startswith("pmid:"):
        return "pmid:" + normalise_pmid(value[5:])
    if value.lower().startswith("doi:") or normalise_doi(value).startswith("10."):
        return "doi:" + normalise_doi(value)
    if value.isdigit():
        return "pmid:" + value
    return value.lower()


# ---------------------------------------------------------------------------------------------
# Blocks and sentences


def text_segments(text: str, blocks: Sequence[tuple[str, int, int]] | None) -> list[Segment]:
    """Cut the text into the innermost blocks that hold it, each trimmed of surrounding whitespace.

    Without blocks, paragraphs are taken to be separated by blank lines and none is a heading.
    """
    if not blocks:
        return [
            segment
            for m in re.finditer(r"(?:(?!\n\s*\n).)+", text, re.S)
            if (segment := _trimmed(text, "p", m.start(), m.end()))
        ]
    cuts = sorted({0, len(text)} | {s for _, s, _ in blocks} | {e for _, _, e in blocks})
    segments = []
    for a, b in pairwise(cuts):
        holders = [(e - s, tag) for tag, s, e in blocks if s <= a and b <= e]
        tag = min(holders)[1] if holders else ""
        if segment := _trimmed(text, tag, a, b):
            segments.append(segment)
    return segments


def _trimmed(text: str, tag: str, start: int, end: int) -> Segment | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Segment(tag, start, end) if start < end else None


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of text[start:end], trimmed of whitespace.

    A sentence ends at . ! ? or … (with any closing quote or bracket, and any citation markers after
    it: "… events. [2]" keeps [2]) followed by whitespace and then not a lower-case letter. It does
    not end after the abbreviations above, initialisms ("U.S.", "e.g.", "p.o."), or inside numbers
    ("2.5 mg"). A hard line break (a blank line inside a block) also ends one; a soft line break does not.
    Limits: "Smith et al. Statins…" and "in the U.S. The trial…" stay one sentence; an initial
    ("J. Smith") ends one; a sentence that starts in lower case joins the one before.
    """
    end = len(text) if end is None else end
    spans = []
    piece_start = start
    for piece_end in [m.start() for m in _HARD_BREAK.finditer(text, start, end)] + [end]:
        sentence_start = piece_start
        for m in _TERMINATOR.finditer(text, piece_start, piece_end):
            if _ends_sentence(text, m, piece_start, piece_end):
                spans.append((sentence_start, m.end()))
                sentence_start = m.end()
        spans.append((sentence_start, piece_end))
        piece_start = piece_end
    return [(s.start, s.end) for a, b in spans if (s := _trimmed(text, "", a, b))]


def _ends_sentence(text: str, m: re.Match, start: int, end: int) -> bool:
    following = m.end()
    while following < end and text[following].isspace():
        following += 1
    if following >= end:
        return True
    after = text[following]
    if after.islower():  # "e.g. statins", "approx. five"
        return False
    if not m.group().startswith(".") or m.group().startswith(".."):
        return True
    word = re.search(r"[\w.]*$", text[max(start, m.start() - 24) : m.start()]).group().lower()
    if word in ABBREVIATIONS or re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word):
        return False
    return not (after.isdigit() and word in NUMBER_ABBREVIATIONS)


def _collapse(value: str) -> str:
    return " ".join(value.split())


def _key_text(value: str) -> str:
    """Wording compared across revisions: NFKC (µ → μ, m² → m2, no-break space → space), one kind of
    dash, case-folded, whitespace collapsed."""
    value = unicodedata.normalize("NFKC", value).casefold()
    value = re.sub(f"[{DASHES}]", "-", value)
    return _collapse(value)


class _Sentences:
    """Every sentence of the text, to find the one a finding stands in."""

    def __init__(self, text: str, segments: list[Segment]) -> None:
        self.text = text
        # In text order and disjoint, as the segments are: searched by bisection.
        self.spans = [span for seg in segments for span in split_sentences(text, seg.start, seg.end)]
        self.ends = [b for _, b in self.spans]

    def around(self, start: int, end: int) -> str:
        """The sentence(s) that text[start:end] touches, whitespace collapsed."""
        first = bisect_right(self.ends, start)
        last = first
        while last < len(self.spans) and self.spans[last][0] < max(end, start + 1):
            last += 1
        if first == last:
            return ""
        return _collapse(self.text[self.spans[first][0] : self.spans[last - 1][1]])


# ---------------------------------------------------------------------------------------------
# Rules


def run_checks(
    text: str,
    blocks: Sequence[tuple[str, int, int]] | None,
    references: Sequence[Mapping[str, Any]],
    retracted: Collection[str] = frozenset(),
) -> list[Finding]:
    """Every finding of every rule on a revision: those in the text by position, then the others by reference.

    `blocks` are RenderedBody.blocks, `references` Reference.as_dict() values, `retracted` the
    identifiers of retracted works ("doi:10.1000/xyz", "pmid:12345").
    """
    segments = text_segments(text, blocks)
    sentences = _Sentences(text, segments)
    findings = [
        *_check_dosage(text, segments, sentences),
        *_check_uncited_claims(text, segments, sentences),
        *_check_absolute_claims(text, segments, sentences),
        *_check_reference_format(text, references, sentences),
        *_check_retracted(text, references, retracted, sentences),
    ]
    order = {rule.name: i for i, rule in enumerate(RULES)}
    findings.sort(key=lambda f: (f.start is None, f.start or 0, f.end or 0, f.reference or 0, order[f.rule]))
    return _numbered_repeats(findings)


def _numbered_repeats(findings: list[Finding]) -> list[Finding]:
    # The same wording twice ("500 mg" for two drugs) gets "#2", "#3" in text order, so keys stay unique.
    seen: dict[str, int] = {}
    numbered = []
    for finding in findings:
        seen[finding.key] = seen.get(finding.key, 0) + 1
        count = seen[finding.key]
        numbered.append(finding if count == 1 else replace(finding, key=f"{finding.key}#{count}"))
    return numbered


def _finding(rule_name: str, text: str, start: int, end: int, sentences: _Sentences, key: str, **fields) -> Finding:
    rule = RULES_BY_NAME[rule_name]
    return Finding(
        rule=rule.name,
        start=start,
        end=end,
        exact=text[start:end],
        sentence=sentences.around(start, end),
        message=rule.message.format(**fields),
        blocking=rule.blocking,
        key=f"{rule.name}|{key}",
        reference=fields.get("number"),
    )


def dose_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each dose statement in text[start:end]: an amount with a dose unit, with a
    limit word before it ("maximum") and its route and frequency after it.

    The drug name is not included: without a formulary, the word before a dose is as often
    "take" or "reduced by" as a drug.
    """
    end = len(text) if end is None else end
    spans = []
    position = start
    while m := DOSE_PATTERN.search(text, position, end):
        position = m.end()
        if _LAB_VALUE.match(text, m.end(), end):
            continue
        dose_start, dose_end = m.start(), m.end()
        if per_ml := _PER_ML.match(text, m.end(), end):
            if m.group("unit").lower() in _LAB_UNITS_PER_ML:
                continue
            dose_end = per_ml.end()
        limit = _DOSE_LIMIT.search(text, max(start, dose_start - 40), dose_start)
        if limit:
            dose_start = limit.start()
        while True:  # route and frequency, in any order
            link = _DOSE_LINK.match(text, dose_end, end)
            more = ROUTE_PATTERN.match(text, link.end(), end) or FREQUENCY_PATTERN.match(text, link.end(), end)
            if not more:
                break
            dose_end = more.end()
        spans.append((dose_start, dose_end))
        position = dose_end
    return spans


def _check_dosage(text: str, segments: list[Segment], sentences: _Sentences) -> list[Finding]:
    # Headings too: a dose is worth checking wherever it stands.
    findings = []
    for segment in segments:
        for start, end in dose_spans(text, segment.start, segment.end):
            exact = text[start:end]
            # "4-8 mg" and "4-8mg" (any dash) are the same dose for matching across revisions.
            key = re.sub(r"(?<=\d) (?=[^\W\d_])|(?<=\d) ?- ?(?=\d)", lambda g: g.group().strip(), _key_text(exact))
            findings.append(_finding("dosage", text, start, end, sentences, key, dose=_collapse(exact)))
    return findings


def _check_uncited_claims(text: str, segments: list[Segment], sentences: _Sentences) -> list[Finding]:
    """Sentences of four words or more with no citation marker, outside headings and code.

    Questions are not claims. A marker only counts in its own sentence, so a sentence whose
    source is cited in the next sentence is still reported; "[1, 2]" is not a marker.
    """
    findings = []
    for segment in segments:
        if segment.tag in NOT_CLAIMS:
            continue
        for start, end in split_sentences(text, segment.start, segment.end):
            sentence = text[start:end]
            if MARKER_PATTERN.search(sentence) or len(_WORD.findall(sentence)) < MIN_CLAIM_WORDS:
                continue
            if sentence.rstrip("\"'”’») ").endswith("?"):
                continue
            findings.append(_finding("uncited_claim", text, start, end, sentences, _key_text(sentence)))
    return findings


def _check_absolute_claims(text: str, segments: list[Segment], sentences: _Sentences) -> list[Finding]:
    findings = []
    for segment in segments:
        if segment.tag in NOT_CLAIMS:
            continue
        taken: list[tuple[int, int]] = []
        for pattern in ABSOLUTE_PATTERNS:
            for m in pattern.finditer(text, segment.start, segment.end):
                if any(m.start() < b and a < m.end() for a, b in taken):
                    continue  # "100% safe" and "completely safe" once each, never twice
                if _NEGATED.search(text, max(segment.start, m.start() - 30), m.start()):
                    continue
                taken.append((m.start(), m.end()))
                wording = _collapse(m.group())
                findings.append(
                    _finding("absolute_claim", text, m.start(), m.end(), sentences, _key_text(wording), wording=wording)
                )
    return findings


def _markers(text: str) -> list[re.Match]:
    return list(MARKER_PATTERN.finditer(text))


def _reference_finding(rule_name: str, number: int, key: str, **fields) -> Finding:
    rule = RULES_BY_NAME[rule_name]
    return Finding(
        rule=rule.name,
        start=None,
        end=None,
        exact="",
        sentence="",
        message=rule.message.format(number=number, **fields),
        blocking=rule.blocking,
        key=f"{rule.name}|{number}|{key}",
        reference=number,
    )


def _check_reference_format(text: str, references: Sequence[Mapping[str, Any]], sentences: _Sentences) -> list[Finding]:
    """Malformed DOIs and PMIDs, references no marker cites, duplicates, and markers with no reference.

    A duplicate (same DOI, PMID or citation text as an earlier reference) is reported on the later one.
    """
    findings = []
    markers = _markers(text)
    cited = {int(m.group(1)) for m in markers}
    numbers = {int(ref["number"]) for ref in references}
    first_with: dict[tuple[str, str], int] = {}
    for ref in sorted(references, key=lambda r: int(r["number"])):
        number = int(ref["number"])
        doi, pmid = (ref.get("doi") or "").strip(), (ref.get("pmid") or "").strip()
        if doi and not DOI_PATTERN.fullmatch(_DOI_PREFIX.sub("", doi)):
            problem = f'the DOI "{doi}" is not of the form 10.NNNN/suffix'
            findings.append(_reference_finding("reference_format", number, f"doi|{_key_text(doi)}", problem=problem))
        if pmid and not PMID_PATTERN.fullmatch(_PMID_PREFIX.sub("", pmid)):
            problem = f'the PMID "{pmid}" is not 1 to 9 digits'
            findings.append(_reference_finding("reference_format", number, f"pmid|{_key_text(pmid)}", problem=problem))
        if number not in cited:
            problem = f"no [{number}] marker in the text cites it"
            findings.append(_reference_finding("reference_format", number, "uncited", problem=problem))
        same = {}
        for kind, value in (
            ("DOI", normalise_doi(doi)),
            ("PMID", normalise_pmid(pmid)),
            ("citation", re.sub(r"[\W_]+", " ", _key_text(ref.get("citation") or "")).strip()),
        ):
            if not value:
                continue
            if (kind, value) in first_with:
                same.setdefault(first_with[(kind, value)], []).append(kind)
            else:
                first_with[(kind, value)] = number
        for earlier, kinds in same.items():
            problem = f"it duplicates reference [{earlier}] (same {' and '.join(kinds)})"
            findings.append(_reference_finding("reference_format", number, f"duplicate|{earlier}", problem=problem))
    for m in markers:
        number = int(m.group(1))
        if number not in numbers:
            problem = f"the marker [{number}] points to no reference"
            findings.append(
                _finding(
                    "reference_format",
                    text,
                    m.start(),
                    m.end(),
                    sentences,
                    f"{number}|missing",
                    number=number,
                    problem=problem,
                )
            )
    return findings


def _check_retracted(
    text: str, references: Sequence[Mapping[str, Any]], retracted: Collection[str], sentences: _Sentences
) -> list[Finding]:
    """A retracted reference, on each of its markers in the text (or with no place if none cites it)."""
    retracted_ids = {_normalise_identifier(identifier) for identifier in retracted}
    markers = _markers(text)
    findings = []
    for ref in sorted(references, key=lambda r: int(r["number"])):
        number = int(ref["number"])
        identifiers = []
        if doi := normalise_doi(ref.get("doi") or ""):
            identifiers.append(f"doi:{doi}")
        if pmid := normalise_pmid(ref.get("pmid") or ""):
            identifiers.append(f"pmid:{pmid}")
        hits = [identifier for identifier in identifiers if identifier in retracted_ids]
        if not hits:
            continue
        identifier = hits[0]
        places = [m for m in markers if int(m.group(1)) == number]
        for m in places:
            findings.append(
                _finding(
                    "retracted_reference",
                    text,
                    m.start(),
                    m.end(),
                    sentences,
                    f"{number}|{identifier}",
                    number=number,
                    identifier=identifier,
                )
            )
        if not places:
            findings.append(_reference_finding("retracted_reference", number, identifier, identifier=identifier))
    return findings
