"""The index of stored results: what each comparison or conformance check is called, who ran
it and when, for the workspace page's list.

The result files themselves stay under ``DATA/results/<workspace>/<kind>-<id>.json``
(:func:`procflow.web.service.save_result`); the index is the ``results`` table of the accounts
database. Files stored before the index existed are indexed once when the app starts.
"""

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from procflow.core.i18n import Texts
from procflow.web.accounts import AccountError, Accounts
from procflow.web.service import calendar_names, method_names

RESULT_FILE = re.compile(r"(comparison|conformance)-([0-9a-f]{32})\.json")
WORKSPACE_DIR = re.compile(r"[0-9a-f]{16}")


def about(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """What a stored result (its JSON with the ``web`` key) compared or checked, without words
    of any language: for a comparison ``before``, ``after``, ``split``, ``completed`` and
    ``calendar``; for a check ``log``, ``model`` and ``method``."""
    web = data.get("web") or {}
    if kind == "comparison":
        return {"before": web.get("before") or "?", "after": web.get("after"),
                "split": web.get("split"), "completed": bool(web.get("completed")),
                "calendar": web.get("calendar"), "before_view": web.get("before_view"),
                "after_view": web.get("after_view")}
    return {"log": data.get("log") or "?",
            "model": web.get("model_file") or (data.get("model") or {}).get("name") or "?",
            "method": (data.get("fitness") or {}).get("method") or "token"}


def title(kind: str, parts: dict[str, Any], t: Texts) -> str:
    """The list title of a stored result in the language of ``t``: ``before → after`` or
    ``LOG split at DATE`` with the options chosen, or ``LOG against MODEL (method)``."""
    if kind == "conformance":
        method = parts.get("method") or "token"
        return t("{log} against {model} ({method})", log=parts["log"], model=parts["model"],
                 method=method_names(t).get(method, method))
    if parts.get("split"):
        text = t("{log} split at {date}", log=parts["before"], date=t.date(parts["split"]))
    else:
        sides = [f"{name} ({t('view {name}', name=view)})" if view else name
                 for name, view in ((parts["before"], parts.get("before_view")),
                                    (parts.get("after") or "?", parts.get("after_view")))]
        text = " → ".join(sides)
    options = ([t("completed cases only")] if parts.get("completed") else []) + (
        [t("working time: {name}", name=calendar_names(t).get(parts["calendar"],
                                                                parts["calendar"]))]
        if parts.get("calendar") else [])
    return f"{text} ({'; '.join(options)})" if options else text


def stored_about(stored: str) -> dict[str, Any] | None:
    """What an index row's title holds (:func:`about` as JSON); None for a plain title."""
    try:
        parts = json.loads(stored)
    except ValueError:
        return None
    return parts if isinstance(parts, dict) else None


def record(accounts: Accounts, wid: str, kind: str, rid: str, data: dict[str, Any],
           user_id: int | None, created: float | None = None) -> None:
    """Add a just-stored result to the index."""
    log = data.get("log") if kind == "conformance" else None
    accounts.add_result(rid, wid, kind, json.dumps(about(kind, data), ensure_ascii=False),
                        log=log, user_id=user_id, created=created)


def index_stored(accounts: Accounts, data_dir: Path) -> int:
    """Index result files that have no row yet (stored before the index existed); unreadable
    files and files of unknown workspaces are skipped. Returns how many were added."""
    folder = data_dir / "results"
    if not folder.is_dir():
        return 0
    known, added = accounts.result_ids(), 0
    for path in sorted(folder.glob("*/*.json")):
        found = RESULT_FILE.fullmatch(path.name)
        wid = path.parent.name
        if found is None or found[2] in known or not WORKSPACE_DIR.fullmatch(wid):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if found[1] == "conformance" and not data.get("log"):
                continue
            record(accounts, wid, found[1], found[2], data, None, path.stat().st_mtime)
        except (OSError, ValueError, AttributeError, AccountError):
            continue
        added += 1
    return added


def page_url(wid: str, row: dict[str, Any]) -> str:
    """The page of a stored result."""
    if row["kind"] == "conformance":
        return f"/w/{wid}/logs/{quote(str(row['log']), safe='')}/conform/{row['id']}"
    return f"/w/{wid}/compare/{row['id']}"


def listing(accounts: Accounts, wid: str, t: Texts) -> list[dict[str, Any]]:
    """A workspace's stored results, newest first: id, kind, title (in the language of ``t``),
    ``about`` (:func:`about`; None for results indexed with a plain title), log, user, created
    (ISO, UTC), and the page (``url``) and API (``api``) address of each."""
    rows = []
    for row in accounts.results(wid):
        url = page_url(wid, row)
        created = dt.datetime.fromtimestamp(row["created"], dt.UTC)
        parts = stored_about(row["title"])
        rows.append({"id": row["id"], "kind": row["kind"],
                     "title": row["title"] if parts is None else title(row["kind"], parts, t),
                     "about": parts,
                     "log": row["log"], "user": row["user"],
                     "created": created.isoformat(timespec="seconds"),
                     "url": url, "api": f"/api{url}"})
    return rows
