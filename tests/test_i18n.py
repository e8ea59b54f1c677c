"""The Indonesian catalog covers every report message, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from procflow.compare.narrative import KPI_NAMES, REASONS
from procflow.conform.conformance import KIND_WORDS
from procflow.core.i18n import Texts, catalog
from procflow.explain import narrative as explain_words
from procflow.explain.targets import WEEKDAYS
from procflow.render import handoff_map, process_map
from procflow.report import workbook
from procflow.report.html import BY_TITLES, LIFECYCLE_WORDS, REJECT_WORDS, WORDS

PACKAGE = Path(__file__).resolve().parents[1] / "procflow"


def _strings(node: ast.AST) -> list[str]:
    """String constants an argument can be (literals; both sides of ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def used_messages() -> set[str]:
    found: set[str] = {*KPI_NAMES.values(), *REASONS.values(), *WORDS,
                       *BY_TITLES.values(), *process_map.WORDS,
                       *handoff_map.WORDS, *KIND_WORDS.values(), *LIFECYCLE_WORDS.values(),
                       *REJECT_WORDS, *workbook.messages(), *explain_words.FIELD_NAMES.values(),
                       *explain_words.TARGET_NAMES.values(), *explain_words.CONDITIONS.values(),
                       *explain_words.VALUE_CONDITIONS.values(), *WEEKDAYS}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and (
                    (isinstance(node.func, ast.Name) and node.func.id == "t")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "t")):
                found.update(_strings(node.args[0]))
            if isinstance(node, ast.Call) and len(node.args) >= 3 and isinstance(
                    node.func, ast.Attribute) and node.func.attr == "plural":
                found.update(_strings(node.args[2]))  # Indonesian nouns have no plural
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "message" for t in node.targets):
                found.update(_strings(node.value))
            if isinstance(node, ast.Call) and node.args and path.name == "xes.py" and (
                    getattr(node.func, "id", None) == "_Problem"
                    or getattr(node.func, "attr", None) == "fail"):
                found.update(_strings(node.args[0]))  # worded on the web (``xes_malformed``)
    for path in PACKAGE.rglob("*.html"):
        found.update(re.findall(r'\bt\(\s*"([^"]+)"', path.read_text(encoding="utf-8")))
        found.update(re.findall(r'\bt\.plural\([^,]+,\s*"[^"]+",\s*"([^"]+)"',
                                path.read_text(encoding="utf-8")))
    return found


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_is_translated() -> None:
    messages = used_messages()
    assert len(messages) > 15
    missing = sorted(messages - catalog("id").keys())
    assert missing == []


def test_translations_keep_placeholders() -> None:
    for msgid, msgstr in catalog("id").items():
        assert fields(msgid) == fields(msgstr), msgid


def test_formatting_per_locale() -> None:
    en, id_ = Texts("en"), Texts("id")
    assert (en.number(1234.56), id_.number(1234.56)) == ("1,234.6", "1.234,6")
    assert (en.percent(0.2134, 1), id_.percent(0.2134, 1)) == ("21.3%", "21,3%")
    # halves round up as by hand (1 of 8 cases), not to the even neighbour
    assert (en.percent(1 / 8), en.percent(3 / 8), id_.percent(0.0125, 1)) == (
        "13%", "38%", "1,3%")
    assert (en.duration(1800), id_.duration(5400), id_.duration(3 * 86400)) == (
        "30 min", "1,5 jam", "3,0 hari")
    assert (en.date("2025-03-31T10:00:00Z"), id_.date("2025-03-31T10:00:00Z")) == (
        "31 March 2025", "31 Maret 2025")
    assert id_("Decision latency at {key}", key="TTE") == "Latensi keputusan pada TTE"
    assert en("Decision latency at {key}", key="TTE") == "Decision latency at TTE"
    with pytest.raises(ValueError, match="unknown language"):
        Texts("fr")  # type: ignore[arg-type]


def test_a_figure_that_rounds_to_zero_has_no_sign() -> None:
    en, id_ = Texts("en"), Texts("id")
    assert (en.number(-0.01, 1), en.duration(-1.0, "min"), id_.number(-0.04, 1)) == (
        "0.0", "0 min", "0,0")
    assert (en.number(-0.06, 1), en.duration(-90.0, "min")) == ("-0.1", "-2 min")


@pytest.mark.parametrize(("lang", "n", "text"), [
    ("en", 1, "the case passes 1 approval layer"), ("en", 3, "the case passes 3 approval layers"),
    ("en", 0, "the case passes 0 approval layers"),
    ("id", 1, "kasus melewati 1 lapisan persetujuan"),
    ("id", 1200, "kasus melewati 1.200 lapisan persetujuan")])
def test_counts_agree_with_their_noun(lang: str, n: int, text: str) -> None:
    """English says one layer and two layers; Indonesian nouns have no plural."""
    assert explain_words.condition("layers", str(n), Texts(lang)) == text
    assert Texts(lang).plural(n, "the case passes {n} approval layer",
                              "the case passes {n} approval layers") == text


def test_pm4py_terms_are_said_in_indonesian() -> None:
    """pm4py's "fall-through" is an English term of art: the Indonesian pages say it in plain
    Indonesian ("pencarian cadangan"), with what it is where it first shows."""
    ids = catalog("id")
    said = {msgid: text for msgid, text in ids.items() if "fall-through" in msgid}
    assert len(said) >= 4  # the CLI notes and the log page's discovery note
    assert not [text for text in said.values() if "fall" in text.lower()]
    assert all("pencarian cadangan" in text for text in said.values())
    note = ("This log has {n} activities (more than {limit}): the discovered model was made "
            "without pm4py's fall-through search, so it may be looser than pm4py's own.")
    assert Texts("id")(note, n=154, limit=60) == (
        "Log ini memiliki 154 aktivitas (lebih dari 60): model yang ditemukan dibuat tanpa "
        "pencarian cadangan pm4py (langkah yang dicoba bila log tidak dapat dipecah lagi "
        "menjadi urutan, pilihan, paralel atau ulangan), sehingga bisa lebih longgar daripada "
        "model pm4py sendiri.")
