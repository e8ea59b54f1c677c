"""The filter panel's handoff and approval-layer forms in a real browser against a real
``procflow serve``: the choices are the log's own handoff pairs and layer sequences (with
search), applying one keeps as many cases as the choice says, the address keeps the filter and
the filter words name it; a wrong value comes back beside its field, in both languages."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pandas as pd
import pytest

from tests import test_web_case_links, test_web_slices_browser
from tests.browser import artifact, browser_page

# the sample served to analyst andi, its events in pandas, and signing in
served, frame = test_web_slices_browser.served, test_web_case_links.frame
sign_in = test_web_slices_browser.sign_in

COUNT = re.compile(r"^([0-9,]+) · ")


def filters_of(url: str) -> list[dict[str, Any]]:
    return json.loads(parse_qs(urlsplit(url).query)["f"][0])


def choose(page: Any, form: str, field: str) -> tuple[str, int]:
    """Choose the first option of the form's list; its text and the cases it says."""
    option = page.locator(f"#{form} select[name={field}] option").first
    text = option.inner_text()
    page.select_option(f"#{form} select[name={field}]", index=0)
    found = COUNT.search(text)
    assert found is not None, text
    return text, int(found.group(1).replace(",", ""))


def test_handoff_and_layers_forms_keep_the_cases_they_offer(
        served: tuple[str, str], frame: pd.DataFrame) -> None:
    base, wid = served
    here = f"/w/{wid}/logs/after"
    total = frame["No. Permohonan"].nunique()
    with browser_page() as page:
        errors: list[str] = []
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        sign_in(page, base)
        page.goto(f"{base}{here}?lang=en")
        page.click("#filters summary")
        # the pairs between persons (the log's first granularity), searched by a name
        prev = frame.groupby("No. Permohonan")["Petugas"].shift(1)
        moved = frame[prev.notna() & (prev != frame["Petugas"])].assign(prev=prev)
        pairs = moved.groupby(["prev", "Petugas"])["No. Permohonan"].nunique()
        shown = page.locator("#filter-handoff select[name=h_pair] option")
        assert shown.count() == len(pairs)
        text, cases = choose(page, "filter-handoff", "h_pair")
        source, target = COUNT.sub("", text).strip().split(" → ")
        assert cases == pairs[(source, target)] == pairs.max()
        name = target.split()[0]
        page.fill("#filter-handoff input[name=h_find]", name)
        page.click("#filter-handoff button.secondary")
        page.wait_for_url(re.compile(r".*h_find=.*"))
        found = page.locator("#filter-handoff select[name=h_pair] option").all_inner_texts()
        assert found and all(name.lower() in t.lower() for t in found)
        assert len(found) == sum(name.lower() in f"{a} > {b}".lower() for a, b in pairs.index)
        page.screenshot(path=str(artifact("slice-forms-handoff-search.png")))
        page.select_option("#filter-handoff select[name=h_pair]", index=0)
        text, cases = choose(page, "filter-handoff", "h_pair")
        page.click("#filter-handoff form:not(.row) button[type=submit]")
        page.wait_for_url(re.compile(r".*[?&]f=.*"))
        assert page.inner_text("#filters .kept").startswith(f"{cases:,} of {total:,} cases")
        source, target = COUNT.sub("", text).strip().split(" → ")
        assert filters_of(page.url) == [{"kind": "handoff", "from": source, "to": target,
                                         "by": "resource"}]
        assert (f"cases where the work passes directly from resource “{source}” to "
                f"“{target}”") in page.inner_text("ol.filters")
        page.reload()
        assert page.inner_text("#filters .kept").startswith(f"{cases:,} of {total:,} cases")
        # approval layers, on the whole log
        page.locator("ol.filters a.remove").first.click()
        page.wait_for_url(re.compile(r".*/logs/after(\?lang=en)?(#filters)?$"))
        page.click("#filters summary")
        text, cases = choose(page, "filter-layers", "l_seq")
        page.click("#filter-layers form:not(.row) button[type=submit]")
        page.wait_for_url(re.compile(r".*[?&]f=.*"))
        assert page.inner_text("#filters .kept").startswith(f"{cases:,} of {total:,} cases")
        (item,) = filters_of(page.url)
        assert item["kind"] == "layers" and item["by"] == "role"
        assert " → ".join(item["sequence"]) == COUNT.sub("", text).strip()
        assert "cases whose approval layers (role) are" in page.inner_text("ol.filters")
        # the layer sequences table of the page counts the same cases
        row = page.locator("#layers table tr", has_text="→".join(item["sequence"])).first
        assert row.locator("td.num").inner_text() == f"{cases:,}"
        page.locator("#filters").scroll_into_view_if_needed()
        page.screenshot(path=str(artifact("slice-forms-layers-applied.png")))
        assert errors == []


@pytest.mark.parametrize(("lang", "form", "field", "value", "words"), [
    ("en", "handoff&h_by=role", "h_pair", '["Nobody","Kasi"]', "no event has “Nobody”"),
    ("id", "handoff&h_by=role", "h_pair", '["Nobody","Kasi"]', "“Nobody”"),
    ("en", "handoff&h_by=role", "h_pair", "", "choose a pair of performers."),
    ("en", "layers&l_by=role", "l_seq", '["Nobody"]', "no event has “Nobody”"),
    ("id", "layers&l_by=role", "l_seq", "", "pilih satu urutan lapisan."),
])
def test_a_wrong_choice_comes_back_beside_its_field(
        served: tuple[str, str], lang: str, form: str, field: str, value: str,
        words: str) -> None:
    base, wid = served
    here = f"/w/{wid}/logs/after"
    with browser_page() as page:
        sign_in(page, base)
        page.goto(f"{base}{here}?lang={lang}&add={form}&{field}={quote(value)}")
        beside = page.locator(f"#error-{field}")
        assert beside.is_visible()
        assert words in beside.inner_text()
        assert page.locator("#filters details.forms").get_attribute("open") is not None
        if lang == "en" and field == "l_seq" and value:
            page.locator("#filter-layers").scroll_into_view_if_needed()
            page.screenshot(path=str(artifact("slice-forms-layers-error.png")))
