"""Report language: English or Bahasa Indonesia, from hand-written message catalogs.

Messages are written in English in the code and templates (``t("Cycle time")``); the Indonesian
catalog ``procflow/core/locale/id/LC_MESSAGES/procflow.po`` holds their translations, read with
Babel.
Numbers, shares, durations and dates are formatted by Babel for the locale (``1.234,5`` and
``31 Maret 2025`` in Indonesian). A message missing from the catalog is shown in English, and a
test keeps the catalog complete.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any, Literal

Lang = Literal["en", "id"]
LANGS: tuple[Lang, ...] = ("id", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
DurationUnit = Literal["s", "min", "h", "d"]
UNIT_SECONDS: dict[DurationUnit, int] = {"s": 1, "min": 60, "h": 3600, "d": 86400}
UNITS: dict[Lang, tuple[str, str, str, str]] = {"en": ("s", "min", "h", "days"),
                                                "id": ("detik", "menit", "jam", "hari")}


@cache
def catalog(lang: Lang) -> dict[str, str]:
    """The translations of ``lang`` (English is the identity)."""
    if lang == "en":
        return {}
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "procflow.po"
    with open(path, "rb") as handle:
        from babel.messages.pofile import read_po  # babel is imported when first needed

        po = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


class Texts:
    """Translate and format for one language: ``t("Median {x}", x=...)``, ``t.number(3.2)``."""

    def __init__(self, lang: Lang = "id"):
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
        self.lang = lang
        self._messages = catalog(lang)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._messages.get(message, message)
        return text.format(**values) if values else text

    def number(self, value: float | None, digits: int = 1) -> str:
        """``1234.5`` → ``1,234.5`` (en) or ``1.234,5`` (id); ``–`` for None."""
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        if round(value, digits) == 0:
            value = 0.0  # never "-0": a change that rounds to nothing has no sign
        from babel.numbers import format_decimal

        return str(format_decimal(value, format=pattern, locale=self.lang))

    def plural(self, n: int, one: str, many: str, **values: Any) -> str:
        """``n`` things, ``{n}`` filled in: ``one`` ("1 approval layer") when ``n`` is 1 in
        English, else ``many`` ("3 approval layers"); Indonesian nouns have no plural, so
        only ``many`` is translated."""
        return self(one if n == 1 and self.lang == "en" else many, n=self.integer(n), **values)

    def integer(self, value: int | None) -> str:
        """Whole numbers with the locale's grouping."""
        return self.number(value, 0)

    def percent(self, value: float | None, digits: int = 0) -> str:
        """``0.213`` → ``21%`` (``21,3%`` with one digit in Indonesian); halves round up, as
        readers do by hand (1 of 8 is ``13%``)."""
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        from decimal import ROUND_HALF_UP, Decimal

        from babel.numbers import format_percent

        exact = Decimal(repr(value))
        rounded = exact.quantize(Decimal(1).scaleb(-digits - 2), ROUND_HALF_UP) \
            if exact.is_finite() else exact
        return str(format_percent(rounded, format=pattern, locale=self.lang))

    def duration(self, seconds: float | None, unit: DurationUnit | None = None, *,
                 extra_digits: int = 0) -> str:
        """Seconds, minutes, hours or days (``unit``, else whichever reads best): ``3,2 hari``;
        seconds and minutes whole, hours or days with one decimal, plus ``extra_digits``."""
        if seconds is None:
            return "–"
        unit = unit or duration_unit(seconds)
        digits = (0 if unit in ("s", "min") else 1) + extra_digits
        return f"{self.number(seconds / UNIT_SECONDS[unit], digits)} {self.unit_word(unit)}"

    def unit_word(self, unit: DurationUnit) -> str:
        """``s``/``min``/``h``/``days`` in the language."""
        return UNITS[self.lang][("s", "min", "h", "d").index(unit)]

    def date(self, value: dt.date | str | None, zone: str | None = None) -> str:
        """A long date: ``31 March 2025`` / ``31 Maret 2025``; an instant's date in ``zone``
        (an IANA name or ``UTC+07:00``; None: UTC)."""
        if value is None:
            return "–"
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, dt.datetime):
            from babel.dates import format_date

            from procflow.core.zones import tzinfo

            instant = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return str(format_date(instant.astimezone(tzinfo(zone)).date(), format="d MMMM y",
                                   locale=self.lang))
        from babel.dates import format_date

        return str(format_date(value, format="long", locale=self.lang))


def duration_unit(seconds: float) -> DurationUnit:
    """The unit that reads best for ``seconds``: seconds under a minute (none: minutes),
    minutes under an hour, hours under a day."""
    size = abs(seconds)
    return ("s" if 0 < size < 59.5 else "min" if size < 3600 else "h" if size < 86400
            else "d")
