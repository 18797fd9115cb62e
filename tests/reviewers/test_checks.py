"""reviewers/checks.py: the automated checks on real phrasing, one rule at a time and on whole articles."""

import dataclasses

import pytest

from articles.rendering import render_body
from reviewers.checks import (
    RULES,
    RULES_BY_NAME,
    Finding,
    dose_spans,
    normalise_doi,
    normalise_pmid,
    run_checks,
    split_sentences,
    text_segments,
)


def check(text: str, references=(), retracted=()) -> list[Finding]:
    """Run the checks on one paragraph of plain text."""
    return run_checks(text, [("p", 0, len(text))], list(references), set(retracted))


def check_body(body: str, references=(), retracted=()) -> tuple[str, list[Finding]]:
    rendered = render_body(body)
    return rendered.text, run_checks(rendered.text, rendered.blocks, list(references), set(retracted))


def exacts(findings: list[Finding], rule: str) -> list[str]:
    return [f.exact for f in findings if f.rule == rule]


def ref(number: int, citation: str = "", doi: str = "", pmid: str = "", kind: str = "research") -> dict:
    return {
        "number": number,
        "kind": kind,
        "citation": citation or f"Source number {number}",
        "year": 2019,
        "doi": doi,
        "pmid": pmid,
        "url": "",
    }


# The rule table


def test_the_table_names_every_rule_once_and_only_retractions_block():
    assert [rule.name for rule in RULES] == [
        "dosage",
        "uncited_claim",
        "absolute_claim",
        "reference_format",
        "retracted_reference",
    ]
    assert {name for name, rule in RULES_BY_NAME.items() if rule.blocking} == {"retracted_reference"}


def test_a_finding_is_frozen():
    finding = check("Statins lower cholesterol in most adults.")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.start = 3


# Dosage


@pytest.mark.parametrize(
    "text, doses",
    [
        ("Guidelines advise corticosteroids (dexamethasone 4-8mg daily) [1].", ["4-8mg daily"]),
        ("Give amoxicillin 500 mg orally three times daily [1].", ["500 mg orally three times daily"]),
        (
            "Adults take paracetamol 1 g every 4–6 hours, maximum 4 g per day [1].",
            ["1 g every 4–6 hours", "maximum 4 g per day"],
        ),
        (
            "Prophylaxis is heparin 5,000 units subcutaneously twice daily [1].",
            ["5,000 units subcutaneously twice daily"],
        ),
        ("Most adults need vitamin D 1000 IU daily [1].", ["1000 IU daily"]),
        ("The usual dose is methotrexate 15 mg/m² weekly [1].", ["15 mg/m² weekly"]),
        ("The same dose written methotrexate 15 mg/m2 weekly [1].", ["15 mg/m2 weekly"]),
        ("Children receive 0.5–1 mg/kg [1].", ["0.5–1 mg/kg"]),
        ("Use salbutamol 100 µg inhaled as needed [1].", ["100 µg inhaled as needed"]),
        ("Use salbutamol 100 μg inhaled as needed [1].", ["100 μg inhaled as needed"]),  # Greek mu
        ("Give ondansetron 4 mg IV q8h for nausea [1].", ["4 mg IV q8h"]),
        (
            "Give ceftriaxone 2 g intravenously once daily for 7–14 days [1].",
            ["2 g intravenously once daily for 7–14 days"],
        ),
        ("Take 1 or 2 tablets at night [1].", ["1 or 2 tablets at night"]),
        ("Start with 4 mg to 8 mg by mouth [1].", ["4 mg to 8 mg by mouth"]),
        ("Replace with potassium chloride 20 mmol over 2 hours [1].", ["20 mmol over 2 hours"]),
        ("The suspension is amoxicillin 250 mg/5 mL [1].", ["250 mg/5 mL"]),
        ("Insulin comes as 100 units/mL [1].", ["100 units/mL"]),
        ("An infusion of 10 mcg/kg/min is started [1].", ["10 mcg/kg/min"]),
        ("Do not exceed max. 4 g/day [1].", ["max. 4 g/day"]),
        ("Never write .5 mg without a leading zero [1].", [".5 mg"]),
        ("Some labels read 2,5 mg with a decimal comma [1].", ["2,5 mg"]),
    ],
)
def test_dose_statements_are_found_whole(text, doses):
    findings = check(text)
    assert exacts(findings, "dosage") == doses
    for finding in findings:
        assert text[finding.start : finding.end] == finding.exact


@pytest.mark.parametrize(
    "text, dose",
    [
        ("Take aspirin 75\u00a0mg once daily [1].", "75\u00a0mg once daily"),  # no-break space
        ("Take 4\u2009–\u20098\u202fmg daily [1].", "4\u2009–\u20098\u202fmg daily"),  # thin and narrow no-break spaces
        ("Take 4—8 mg daily [1].", "4—8 mg daily"),  # em dash
        ("Take 4 − 8 mg daily [1].", "4 − 8 mg daily"),  # minus sign
        ("Take 4\u20118 mg daily [1].", "4\u20118 mg daily"),  # non-breaking hyphen
    ],
)
def test_doses_with_unicode_spaces_and_dashes(text, dose):
    assert exacts(check(text), "dosage") == [dose]


@pytest.mark.parametrize(
    "text",
    [
        "Hyponatraemia is a serum sodium below 135 mmol/L [1].",
        "A normal fasting glucose is 5.5 mmol/L or less [1].",
        "Anaemia in men is a haemoglobin under 13 g/dL [1].",
        "A creatinine of 1.2 mg/dL is within the normal range [1].",
        "The trial was published in 2019 [1].",
        "Hypertension affects 5% of adults [1].",
        "Patients aged 65 years and over were included [1].",
        "The trial enrolled 500 patients [1].",
        "Events fell by about a fifth per mmol/L of LDL cholesterol lowered [1].",
        "Treat when LDL is 3.5 mmol/L or higher [1].",
        "Diabetes is diagnosed at an HbA1c of 48 mmol/mol [1].",
        "A troponin above 14 ng/mL suggests injury [1].",
        "Adjust the dose when eGFR is under 60 mL/min/1.73 m² [1].",
        "Obesity is a BMI of 30 kg/m² or more [1].",
        "The target is below 140/90 mmHg at home [1].",
        "Participants lost 5 kg on average [1].",
        "Triglycerides of 150 mg per decilitre are high [1].",
    ],
)
def test_laboratory_values_years_percentages_ages_and_counts_are_not_doses(text):
    assert exacts(check(text), "dosage") == []


def test_a_dose_next_to_a_laboratory_value():
    text = "If potassium is below 3.5 mmol/L, give 40 mmol orally daily [1]."
    assert exacts(check(text), "dosage") == ["40 mmol orally daily"]


def test_dietary_amounts_are_flagged_when_unsure():
    # Decided: a mass or volume with a number is flagged even in a diet sentence.
    assert exacts(check("Adults should eat 30 g of fibre a day [1]."), "dosage") == ["30 g"]


def test_dosage_finding_fields():
    text = "Guidelines advise corticosteroids (dexamethasone 4-8mg daily) [1]. Review after a week [1]."
    (finding,) = [f for f in check(text) if f.rule == "dosage"]
    assert finding == Finding(
        rule="dosage",
        start=49,
        end=60,
        exact="4-8mg daily",
        sentence="Guidelines advise corticosteroids (dexamethasone 4-8mg daily) [1].",
        message="Dose statement: verify 4-8mg daily against the cited source.",
        blocking=False,
        key="dosage|4-8mg daily",
    )


def test_dosage_key_ignores_spacing_dashes_and_micro_signs():
    first = next(f for f in check("Give 4 – 8 mg daily [1].") if f.rule == "dosage")
    second = next(f for f in check("Now give 4-8mg daily to most adults [1].") if f.rule == "dosage")
    assert first.key == second.key == "dosage|4-8mg daily"
    assert first.sentence != second.sentence  # the caller decides from the sentence whether to raise it again
    micro = next(f for f in check("Give 100 µg inhaled [1].") if f.rule == "dosage")
    mu = next(f for f in check("Give 100 μg inhaled [1].") if f.rule == "dosage")
    assert micro.key == mu.key == "dosage|100μg inhaled"


def test_the_same_dose_twice_has_two_keys():
    text = "Give amoxicillin 500 mg [1]. Give metformin 500 mg [2]."
    keys = [f.key for f in check(text, [ref(1), ref(2)]) if f.rule == "dosage"]
    assert keys == ["dosage|500mg", "dosage|500mg#2"]


def test_doses_in_headings_are_checked():
    _, findings = check_body("## Dexamethasone 8 mg once daily\n\nSee the table below [1].", [ref(1)])
    assert [(f.rule, f.exact) for f in findings] == [("dosage", "8 mg once daily")]


def test_dose_spans_read_only_the_given_range():
    text = "Take 5 mg. Then 10 mg."
    assert [text[a:b] for a, b in dose_spans(text, 10)] == ["10 mg"]


# Sentences


@pytest.mark.parametrize(
    "text, sentences",
    [
        (
            "Statins, e.g. atorvastatin, lower LDL. Others, i.e. ezetimibe, do too [1].",
            ["Statins, e.g. atorvastatin, lower LDL.", "Others, i.e. ezetimibe, do too [1]."],
        ),
        (
            "Smith et al. found fewer events [1]. Dr. Jones agreed.",
            ["Smith et al. found fewer events [1].", "Dr. Jones agreed."],
        ),
        ("Statins vs. placebo were compared. Events fell.", ["Statins vs. placebo were compared.", "Events fell."]),
        ("Take 2.5 mg daily. Then stop.", ["Take 2.5 mg daily.", "Then stop."]),
        ("Fewer events [2]. More text.", ["Fewer events [2].", "More text."]),
        ("Fewer events. [2] More text.", ["Fewer events. [2]", "More text."]),
        ("Fewer events.[2][3] More text.", ["Fewer events.[2][3]", "More text."]),
        (
            "Common in the U.S. and the U.K. today. Rare elsewhere.",
            ["Common in the U.S. and the U.K. today.", "Rare elsewhere."],
        ),
        ("Give 500 mg p.o. Then review.", ["Give 500 mg p.o. Then review."]),  # an initialism never ends one
        ("Is it safe? Mostly. It works!", ["Is it safe?", "Mostly.", "It works!"]),
        ("See No. 5 for details. Also p. 12.", ["See No. 5 for details.", "Also p. 12."]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        ("Over 2019. 2020 was different.", ["Over 2019.", "2020 was different."]),
        ("A soft\nline break stays. A hard\n\nbreak splits.", ["A soft\nline break stays.", "A hard", "break splits."]),
        ("No full stop at all", ["No full stop at all"]),
        ("Patients with MS. They improved.", ["Patients with MS.", "They improved."]),
    ],
)
def test_sentence_splitter(text, sentences):
    assert [text[a:b] for a, b in split_sentences(text)] == sentences


def test_sentence_splitter_documented_limit():
    # "et al." before a capital never ends a sentence, even when it does.
    text = "This was shown by Smith et al. Statins work."
    assert [text[a:b] for a, b in split_sentences(text)] == [text]


def test_segments_without_blocks_are_blank_line_paragraphs():
    text = "First paragraph.\n\nSecond\nparagraph."
    assert [(s.tag, text[s.start : s.end]) for s in text_segments(text, None)] == [
        ("p", "First paragraph."),
        ("p", "Second\nparagraph."),
    ]


# Uncited claims


def test_seed_sentences_with_markers_are_cited():
    text = (
        "Current guidelines recommend statin therapy for adults at high cardiovascular risk [1]. "
        "In a large randomised trial, statins reduced major vascular events by about a fifth per mmol/L "
        "of LDL cholesterol lowered [2]."
    )
    assert check(text, [ref(1), ref(2)]) == []


def test_a_sentence_without_a_marker_is_uncited():
    text = "Statins lower LDL cholesterol [1]. Most people tolerate them well."
    (finding,) = check(text, [ref(1)])
    assert (finding.rule, finding.exact, finding.start, finding.end) == (
        "uncited_claim",
        "Most people tolerate them well.",
        35,
        66,
    )
    assert finding.key == "uncited_claim|most people tolerate them well."
    assert finding.message.startswith("No citation marker in this sentence")


def test_a_marker_after_the_full_stop_cites_its_sentence():
    assert check("Statins lower LDL cholesterol. [1] They are cheap [1].", [ref(1)]) == []


def test_a_marker_in_the_next_sentence_does_not_cite_this_one():
    text = "Statins lower LDL cholesterol by half. This was shown in a large trial [1]."
    assert exacts(check(text, [ref(1)]), "uncited_claim") == ["Statins lower LDL cholesterol by half."]


def test_a_bracketed_list_is_not_a_marker():
    text = "Statins lower LDL cholesterol [1, 2]."
    assert exacts(check(text), "uncited_claim") == [text]


def test_short_fragments_and_questions_are_not_claims():
    assert check("See below.") == []
    assert check("Key points below") == []
    assert exacts(check("Key points for patients"), "uncited_claim") == ["Key points for patients"]  # four words
    assert check("Do statins prevent heart attacks in older adults?") == []


def test_abbreviations_and_decimals_do_not_split_a_cited_sentence():
    text = "Statins, e.g. atorvastatin 20 mg, lower LDL by 2.5 mmol/L vs. placebo [1]."
    assert exacts(check(text, [ref(1)]), "uncited_claim") == []


def test_list_items_and_table_cells_are_sentences_and_headings_are_not():
    body = (
        "## Statins lower cholesterol in most adults\n\n"
        "- Statins lower LDL cholesterol [1].\n- Muscle aches are the usual complaint\n- Rare\n\n"
        "| Effect | Size |\n|---|---|\n| Fewer heart attacks in older adults | About a fifth |\n"
    )
    _, findings = check_body(body, [ref(1)])
    assert [(f.rule, f.exact) for f in findings] == [
        ("uncited_claim", "Muscle aches are the usual complaint"),
        ("uncited_claim", "Fewer heart attacks in older adults"),
    ]


def test_code_blocks_are_not_claims():
    _, findings = check_body("Statins lower LDL cholesterol [1].\n\n    statins are always prescribed here", [ref(1)])
    assert findings == []


# Absolute claims


@pytest.mark.parametrize(
    "text, wording",
    [
        ("This treatment always works.", ["always"]),
        ("This never happens.", ["never"]),
        ("Results are guaranteed within a week.", ["guaranteed"]),
        ("The supplement has no side effects.", ["no side effects"]),
        ("It is free of side-effects.", ["free of side-effects"]),
        ("Garlic cures hypertension.", ["cures"]),
        ("Garlic is a cure for hypertension.", ["cure for"]),
        ("This remedy is 100% effective.", ["100% effective"]),
        ("The vaccine is completely safe.", ["completely safe"]),
        ("A risk-free way to lose weight.", ["risk-free"]),
        ("Turmeric is proven to reduce inflammation.", ["proven to"]),
        ("A clinically proven formula.", ["clinically proven"]),
        ("A miracle cure for arthritis.", ["miracle", "cure for"]),
        ("Always take it with food.", ["Always"]),
        ("You should never smoke.", ["never"]),
        ("Not only cures but prevents.", ["cures"]),
    ],
)
def test_absolute_wording(text, wording):
    assert exacts(check(text), "absolute_claim") == wording


@pytest.mark.parametrize(
    "text",
    [
        "Nevertheless, the effect was small.",
        "After curettage the bleeding stopped.",
        "Hepatitis C is curable in most people.",
        "Never-smokers had the lowest risk.",
        "Never smokers had the lowest risk.",
        "People who have never smoked had the lowest risk.",
        "The risk in never drinkers was similar.",
        "It does not always work.",
        "It cannot always be prevented.",
        "There is no cure for hypertension.",
        "There is no known cure for the condition.",
        "It is not completely safe in pregnancy.",
        "A response is not guaranteed.",
        "It has not been proven to help.",
        "Side effects are common but mild.",
    ],
)
def test_not_absolute_wording(text):
    assert exacts(check(text), "absolute_claim") == []


def test_absolute_finding_fields():
    text = "Statins lower LDL [1]. This treatment always works [1]."
    (finding,) = check(text, [ref(1)])
    assert (finding.rule, finding.start, finding.end, finding.exact) == ("absolute_claim", 38, 44, "always")
    assert finding.sentence == "This treatment always works [1]."
    assert finding.message == (
        'Absolute wording "always": check that the cited source supports it, or qualify the claim.'
    )
    assert finding.key == "absolute_claim|always" and not finding.blocking


def test_absolute_wording_in_headings_is_left_out():
    body = "## Does garlic always cure hypertension?\n\nIt lowers blood pressure a little [1]."
    _, findings = check_body(body, [ref(1)])
    assert findings == []


# Reference format


def test_well_formed_references_have_no_findings():
    references = [
        ref(1, doi="https://doi.org/10.1093/eurheartj/ehz455", pmid="31504418"),
        ref(2, doi="doi:10.1016/S0140-6736(10)61350-5", pmid="PMID: 21067804"),
    ]
    assert check("Statins lower LDL cholesterol [1]. Events fell [2].", references) == []


@pytest.mark.parametrize(
    "doi",
    ["10.12/abc", "10.1093", "doi.org/10.1093/abc", "11.1093/abc", "10.1093/ eurheartj", "10.abcd/xyz"],
)
def test_malformed_doi(doi):
    (finding,) = check("Statins lower LDL cholesterol [1].", [ref(1, doi=doi)])
    assert (finding.rule, finding.start, finding.end, finding.exact) == ("reference_format", None, None, "")
    assert finding.message == f'Reference [1]: the DOI "{doi}" is not of the form 10.NNNN/suffix.'
    assert finding.key.startswith("reference_format|1|doi|") and finding.reference == 1


@pytest.mark.parametrize("pmid", ["1234567890", "PMC4567", "2106780x", "21 067 804"])
def test_malformed_pmid(pmid):
    (finding,) = check("Statins lower LDL cholesterol [1].", [ref(1, pmid=pmid)])
    assert finding.message == f'Reference [1]: the PMID "{pmid}" is not 1 to 9 digits.'
    assert finding.key.startswith("reference_format|1|pmid|")


def test_reference_cited_by_no_marker():
    (finding,) = check("Statins lower LDL cholesterol [1].", [ref(1), ref(2)])
    assert finding.message == "Reference [2]: no [2] marker in the text cites it."
    assert (finding.key, finding.start, finding.reference) == ("reference_format|2|uncited", None, 2)


def test_duplicate_references():
    references = [
        ref(1, "Cholesterol Treatment Trialists. Lancet 2010.", doi="10.1016/S0140-6736(10)61350-5"),
        ref(2, "Another title", doi="https://doi.org/10.1016/s0140-6736(10)61350-5"),
        ref(3, "Yet another", pmid="21067804"),
        ref(4, "A fourth", pmid="PMID: 21067804"),
        ref(5, "cholesterol treatment trialists; lancet 2010"),
    ]
    text = "A [1]. B [2]. C [3]. D [4]. E [5]."
    assert [(f.key, f.message) for f in check(text, references)] == [
        ("reference_format|2|duplicate|1", "Reference [2]: it duplicates reference [1] (same DOI)."),
        ("reference_format|4|duplicate|3", "Reference [4]: it duplicates reference [3] (same PMID)."),
        ("reference_format|5|duplicate|1", "Reference [5]: it duplicates reference [1] (same citation)."),
    ]


def test_marker_with_no_reference_is_found_on_the_marker():
    text = "Statins lower LDL cholesterol [1]. Events fell [3]."
    (finding,) = check(text, [ref(1)])
    assert (finding.rule, finding.exact, finding.start) == ("reference_format", "[3]", 47)
    assert finding.message == "Reference [3]: the marker [3] points to no reference."


# Retracted references


def test_retracted_reference_is_found_on_every_marker():
    text = "Statins lower LDL cholesterol [1]. Fewer strokes [2]. Fewer heart attacks [2]."
    references = [ref(1), ref(2, doi="10.1000/XYZ")]
    findings = check(text, references, {"doi:10.1000/xyz"})
    assert [(f.rule, f.exact, f.start, f.blocking) for f in findings] == [
        ("retracted_reference", "[2]", 49, True),
        ("retracted_reference", "[2]", 74, True),
    ]
    assert [f.key for f in findings] == [
        "retracted_reference|2|doi:10.1000/xyz",
        "retracted_reference|2|doi:10.1000/xyz#2",
    ]
    assert findings[0].sentence == "Fewer strokes [2]."
    assert findings[0].message == (
        "Reference [2] has been retracted (doi:10.1000/xyz): remove it or cite a current source."
    )


def test_retracted_by_pmid_and_identifiers_are_normalised():
    references = [ref(1, pmid="PMID: 12345"), ref(2, doi="https://doi.org/10.1000/ABC")]
    text = "One [1]. Two [2]."
    findings = check(text, references, {"pmid:12345", "doi: https://doi.org/10.1000/abc"})
    assert [(f.exact, f.key) for f in findings] == [
        ("[1]", "retracted_reference|1|pmid:12345"),
        ("[2]", "retracted_reference|2|doi:10.1000/abc"),
    ]


def test_retracted_reference_cited_nowhere_has_no_place():
    findings = check("Statins lower LDL cholesterol [1].", [ref(1), ref(2, pmid="999")], {"pmid:999"})
    assert [(f.rule, f.start, f.end, f.exact, f.blocking) for f in findings] == [
        ("reference_format", None, None, "", False),
        ("retracted_reference", None, None, "", True),
    ]


def test_references_not_retracted_are_not_reported():
    assert check("Statins lower LDL cholesterol [1].", [ref(1, doi="10.1000/xyz")], {"doi:10.1000/xy"}) == []


# Identifiers


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("10.1093/EURHEARTJ/ehz455", "10.1093/eurheartj/ehz455"),
        ("https://doi.org/10.1093/eurheartj/ehz455", "10.1093/eurheartj/ehz455"),
        ("http://dx.doi.org/10.1093/eurheartj/ehz455", "10.1093/eurheartj/ehz455"),
        ("doi: 10.1093/eurheartj/ehz455 ", "10.1093/eurheartj/ehz455"),
        ("DOI:https://doi.org/10.1093/ eurheartj/ehz455", "10.1093/eurheartj/ehz455"),
        ("", ""),
    ],
)
def test_normalise_doi(raw, normalised):
    assert normalise_doi(raw) == normalised


@pytest.mark.parametrize(
    "raw, normalised", [("21067804", "21067804"), ("PMID: 21067804", "21067804"), (" 123 ", "123")]
)
def test_normalise_pmid(raw, normalised):
    assert normalise_pmid(raw) == normalised


# Whole articles

QA_BODY = """## From the Guidelines

Current guidelines recommend statin therapy for adults at high cardiovascular risk [1]. For most adults
they advise atorvastatin 20 mg once daily [1].

## From the Research

In a large randomised trial, statins reduced major vascular events by about a fifth per mmol/L
of LDL cholesterol lowered [2]. Muscle symptoms were reported by a minority of participants.
Statins never cause diabetes [2].

## What this means for you

Do statins have side effects?

- Take the tablet at the same time every day.
- Blood tests: an LDL of 3.5 mmol/L and a creatinine of 1.2 mg/dL before treatment [1].
"""
QA_REFERENCES = [
    ref(1, "2019 ESC/EAS Guidelines for the management of dyslipidaemias.", doi="10.1093/eurheartj/ehz455"),
    ref(2, "Cholesterol Treatment Trialists' Collaboration. Lancet.", pmid="21067804"),
]


def test_whole_qa_article():
    text, findings = check_body(QA_BODY, QA_REFERENCES)
    assert [(f.rule, f.exact) for f in findings] == [
        ("dosage", "20 mg once daily"),
        ("uncited_claim", "Muscle symptoms were reported by a minority of participants."),
        ("absolute_claim", "never"),
        ("uncited_claim", "Take the tablet at the same time every day."),
    ]
    for finding in findings:
        assert text[finding.start : finding.end] == finding.exact
    headings = [(s, e) for tag, s, e in render_body(QA_BODY).blocks if tag == "h2"]
    assert [text[s:e] for s, e in headings] == ["From the Guidelines", "From the Research", "What this means for you"]
    assert not [f for f in findings for s, e in headings if s <= f.start < e]


def test_whole_article_with_a_retraction_and_a_later_revision():
    _, before = check_body(QA_BODY, QA_REFERENCES, {"pmid:21067804"})
    retracted = [f for f in before if f.rule == "retracted_reference"]
    assert [(f.exact, f.sentence) for f in retracted] == [
        (
            "[2]",
            "In a large randomised trial, statins reduced major vascular events by about a fifth per mmol/L "
            "of LDL cholesterol lowered [2].",
        ),
        ("[2]", "Statins never cause diabetes [2]."),
    ]
    # The next revision moves the text and rewords around the dose: the keys stay, a sentence changes.
    revised = QA_BODY.replace("## From the Guidelines\n\n", "## From the Guidelines\n\nA new opening sentence [1].\n\n")
    revised = revised.replace("For most adults\nthey advise", "For most adults they now advise")
    _, after = check_body(revised, QA_REFERENCES, {"pmid:21067804"})
    by_key_before = {f.key: f for f in before}
    by_key_after = {f.key: f for f in after}
    assert by_key_before.keys() == by_key_after.keys()
    dose = "dosage|20mg once daily"
    assert by_key_before[dose].start != by_key_after[dose].start
    assert by_key_before[dose].sentence == "For most adults they advise atorvastatin 20 mg once daily [1]."
    assert by_key_after[dose].sentence == "For most adults they now advise atorvastatin 20 mg once daily [1]."


def test_findings_are_in_text_order_then_by_reference():
    text = "Garlic always works for everyone. Take 5 mg daily [9]."
    findings = check(text, [ref(2), ref(1)])
    assert [(f.rule, f.exact, f.reference) for f in findings] == [
        ("uncited_claim", "Garlic always works for everyone.", None),
        ("absolute_claim", "always", None),
        ("dosage", "5 mg daily", None),
        ("reference_format", "[9]", 9),
        ("reference_format", "", 1),
        ("reference_format", "", 2),
    ]


# The demo and seed sentences, as the checks task meets them


@pytest.mark.parametrize(
    "text, doses",
    [
        ("Guidelines advise corticosteroids (dexamethasone 4–8 mg daily) for symptoms [1].", ["4–8 mg daily"]),
        ("Higher doses such as 16 mg/day brought no extra benefit [3].", ["16 mg/day"]),
        ("Steroids can raise blood glucose above 11 mmol/L [1].", []),
        ("A creatinine of 5 mg/dL needs a lower dose [1].", []),
        ("In 2019 the guideline was updated [1].", []),
        ("Statins cut events by 25% in 2010–2019 [2].", []),
        ("Daily aspirin 100 mg caused more major bleeding [2].", ["100 mg"]),
    ],
)
def test_seed_sentences(text, doses):
    assert exacts(check(text), "dosage") == doses
