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

from procflow.web.accounts import AccountError, Accounts

RESULT_FILE = re.compile(r"(comparison|conformance)-([0-9a-f]{32})\.json")
WORKSPACE_DIR = re.compile(r"[0-9a-f]{16}")


def comparison_title(web: dict[str, Any]) -> str:
    """``before → after`` or ``LOG split at YYYY-MM-DD``, with the options chosen."""
    before = web.get("before") or "?"
    if web.get("split"):
        title = f"{before} split at {web['split']}"
    else:
        title = f"{before} → {web.get('after') or '?'}"
    options = (["completed cases only"] if web.get("completed") else []) + (
        [f"calendar {web['calendar']}"] if web.get("calendar") else [])
    return f"{title} ({', '.join(options)})" if options else title


def conformance_title(data: dict[str, Any]) -> str:
    """``LOG vs MODEL_FILE (method)``."""
    web = data.get("web") or {}
    model = web.get("model_file") or (data.get("model") or {}).get("name") or "?"
    method = (data.get("fitness") or {}).get("method") or "token"
    return f"{data.get('log') or '?'} vs {model} ({method})"


def title(kind: str, data: dict[str, Any]) -> str:
    """The list title of a stored result (its JSON with the ``web`` key)."""
    if kind == "comparison":
        return comparison_title(data.get("web") or {})
    return conformance_title(data)


def record(accounts: Accounts, wid: str, kind: str, rid: str, data: dict[str, Any],
           user_id: int | None, created: float | None = None) -> None:
    """Add a just-stored result to the index."""
    log = data.get("log") if kind == "conformance" else None
    accounts.add_result(rid, wid, kind, title(kind, data), log=log, user_id=user_id,
                        created=created)


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


def listing(accounts: Accounts, wid: str) -> list[dict[str, Any]]:
    """A workspace's stored results, newest first: id, kind, title, log, user, created (ISO,
    UTC), and the page (``url``) and API (``api``) address of each."""
    rows = []
    for row in accounts.results(wid):
        url = page_url(wid, row)
        created = dt.datetime.fromtimestamp(row["created"], dt.UTC)
        rows.append({"id": row["id"], "kind": row["kind"], "title": row["title"],
                     "log": row["log"], "user": row["user"],
                     "created": created.isoformat(timespec="seconds"),
                     "url": url, "api": f"/api{url}"})
    return rows
