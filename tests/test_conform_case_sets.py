"""The case ids behind a conformance check's counts (kept for the web app's links): each set
holds exactly as many cases as the count it stands behind, and they nest as the counts do."""

from __future__ import annotations

from pathlib import Path

import procflow
from procflow.conform.conformance import case_set_keys, conform

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "logs" / "permit-delayering" / "before.csv"
TO_BE = ROOT / "models" / "permit-to-be.bpmn"


def test_case_sets_match_the_counts() -> None:
    log = procflow.read(SAMPLE, tz="Asia/Makassar", order="dayfirst")
    plain = conform(log, TO_BE)
    check = conform(log, TO_BE, case_sets=True)
    assert plain.case_sets is None
    for result in (plain, check):
        result.to_dict()["fitness"].pop("seconds")  # the time the replay took
    assert check.to_dict() == plain.to_dict()  # keeping the sets changes no figure
    sets = check.case_sets
    assert sets is not None
    data = check.to_dict()
    deviating = set(sets[case_set_keys()])
    assert len(deviating) == len(sets[case_set_keys()]) == data["deviating_cases"] > 0
    assert len(sets[case_set_keys(kind="extra_approval_layer")]) == (
        data["shadow_layer"]["cases"])
    for kind, counts in data["deviations"]["by_kind"].items():
        members = set(sets[case_set_keys(kind=kind)])
        assert len(members) == counts["cases"] and members <= deviating
    for i, item in enumerate(data["deviations"]["items"]):
        members = set(sets[case_set_keys(item=i)])
        assert len(members) == item["cases"]
        assert members <= set(sets[case_set_keys(kind=item["kind"])])
        assert set(item["examples"]) <= members
    all_ids = set(log.to_pandas()["case_id"].astype(str))
    assert deviating <= all_ids
