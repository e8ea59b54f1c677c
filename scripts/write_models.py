"""Write the reference models of the simulated permit scenario into models/.

    .venv/bin/python scripts/write_models.py [OUT_DIR]

``permit-to-be``: the AFTER side of ``procflow.simulate.scenarios`` as it should run, without the
informal "Paraf Koordinator" initial (the shadow layer). ``permit-before``: the BEFORE side as
it ran, with the section head's and division head's initials. Each is written as BPMN 2.0 (with
diagram), PNML and SVG; running the script again gives the same bytes.

The models are state machines (``mine.flow_model``): each step leads from one state to the
next, and a returned file goes back to the state before the step that returned it. A process
tree would need the same activity behind silent steps in two places (e.g. "Pemeriksaan Teknis"
in its own return loop and in the approval's), which pm4py's token replay cannot replay
reliably; the state machine has no silent steps and replays exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from procflow import mine
from procflow.simulate.scenarios import (
    DAFTAR,
    PARAF_KABID,
    PARAF_KASI,
    PERBAIKAN,
    SURVEI,
    TEKNIS,
    TERBIT,
    TTE,
    VERIFIKASI,
)

Steps = list[tuple[str, str, str]]


def _intake() -> Steps:
    """Registration, verification and the technical check, each check with its return loop
    through the applicant's correction, then the optional field survey."""
    return [
        ("start", DAFTAR, "registered"),
        ("registered", VERIFIKASI, "verified"),
        ("verified", PERBAIKAN, "registered"),
        ("verified", TEKNIS, "checked"),
        ("checked", PERBAIKAN, "correcting"),
        ("correcting", TEKNIS, "checked"),
        ("checked", SURVEI, "surveyed"),
    ]


def _approval(after: str, approver: str, returned_to: str, done: str) -> Steps:
    """``approver`` after the states ``after``; a return goes through ``returned_to``
    (redone) and back to ``approver``."""
    back = f"{done} returned"
    return [*((state, approver, done) for state in after.split("|")),
            (done, returned_to, back), (back, approver, done)]


TO_BE: Steps = [
    *_intake(),
    *_approval("checked|surveyed", TTE, TEKNIS, "signed"),
    ("signed", TERBIT, "end"),
]

BEFORE: Steps = [
    *_intake(),
    *_approval("checked|surveyed", PARAF_KASI, TEKNIS, "initialled by section head"),
    *_approval("initialled by section head", PARAF_KABID, PARAF_KASI,
               "initialled by division head"),
    *_approval("initialled by division head", TTE, PARAF_KABID, "signed"),
    ("signed", TERBIT, "end"),
]

MODELS = {"permit-to-be": TO_BE, "permit-before": BEFORE}
SUFFIXES = (".bpmn", ".pnml", ".svg")


def main(out: Path) -> list[Path]:
    """Write every model in every format into ``out``; the paths written."""
    written = []
    for name, steps in MODELS.items():
        model = mine.flow_model(steps, name=name)
        written += [mine.write_model(model, out / f"{name}{suffix}") for suffix in SUFFIXES]
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "models"
    for path in main(target):
        print(f"Wrote {path}")
