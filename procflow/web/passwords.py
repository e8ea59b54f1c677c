"""Which passwords are refused: short ones, the most common ones and easy patterns, and those
close to the user's name. No composition rules: a long password or a passphrase of a few
words is what counts.

:func:`weakness` answers with an English message and its values (translated on the pages
through :mod:`procflow.core.i18n`), or None for a password that may be used.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import Any

MIN_LENGTH = 12
MIN_WORDS = 4  # a passphrase of this many different words may be shorter than MIN_LENGTH
MAX_LENGTH = 1024
CHECKED_LENGTH = 64  # longer passwords are not searched for patterns
#: Runs of keys or characters that people type as passwords (also backwards, and wrapping).
SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm",
             "qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn",
             "qazwsxedcrfvtgbyhnujmikolp", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
             "1q2w3e4r5t6y7u8i9o0p", "zaq1xsw2cde3vfr4bgt5nhy6mju7")
LEET = str.maketrans({"@": "a", "4": "a", "$": "s", "5": "s", "0": "o", "1": "i", "!": "i",
                      "3": "e", "7": "t", "+": "t", "8": "b", "9": "g"})
Weakness = tuple[str, dict[str, Any]]


def plain(text: str) -> str:
    """Lower case, letters and digits only: ``P@ss w0rd!`` → ``pssw0rd``."""
    return re.sub(r"[\W_]+", "", text.casefold())


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, in their :func:`plain` form."""
    text = files("procflow.web").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(plain(line) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def is_sequence(text: str) -> bool:
    """A run of :data:`SEQUENCES` (``123456789012``, ``qwertyuiopas``, ``zyxw``)."""
    return len(text) >= 3 and any(text in run * 3 or text in run[::-1] * 3
                                  for run in SEQUENCES)


def repeats(text: str) -> bool:
    """Few different characters (``aaaaaaaaaaaa``, ``121212121212``) or one piece over and
    over (``abcabcabcabc``)."""
    return len(set(text)) < 5 or re.fullmatch(r"(.+?)\1+", text) is not None


def weak_piece(text: str) -> bool:
    """A piece no one needs to guess: empty, a date-like number, a common password (also
    with letters written as digits or signs, ``p4ssw0rd``), a sequence or one character
    repeated."""
    return (not text or (text.isdigit() and len(text) <= 6) or text in common_passwords()
            or plain(text.translate(LEET)) in common_passwords() or is_sequence(text)
            or len(set(text)) == 1)


def cores(password: str) -> set[str]:
    """The password's :func:`plain` forms, with and without digits and signs around it
    (``Password123456!`` → ``password123456``, ``password``) and with look-alike signs read
    as letters."""
    folded = password.casefold()
    forms = {plain(folded), plain(folded.translate(LEET))}
    inner = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", folded)
    if inner:
        forms |= {plain(inner), plain(inner.translate(LEET))}
    return forms


def easy(password: str) -> bool:
    """A common password, a pattern, or two such pieces joined (``qwertyasdfgh``)."""
    for form in cores(password):
        if weak_piece(form) or repeats(form):
            return True
        if any(weak_piece(form[:cut]) and weak_piece(form[cut:]) for cut in range(1, len(form))):
            return True
    return False


def near_name(password: str, user_name: str) -> bool:
    """The password is the user name, or the name with little else (``sari2024``,
    ``Sari20242025``)."""
    name = plain(user_name)
    if len(name) < 3:
        return False
    folded = plain(password)
    for form in (name, name[::-1]):
        if form in folded:
            rest = folded.replace(form, "")
            if len(rest) < 8 or rest.isdigit() or weak_piece(rest):
                return True
    return False


def passphrase(password: str) -> bool:
    """At least :data:`MIN_WORDS` different words of two or more characters."""
    words = {w.casefold() for w in re.split(r"[\s\-_.,;:+/]+", password) if len(w) >= 2}
    return len(words) >= MIN_WORDS


def weakness(password: str, user_name: str = "") -> Weakness | None:
    """Why ``password`` cannot be used (message and values), or None when it can."""
    if len(password) > MAX_LENGTH:
        message = "The password is too long: use at most {most} characters."
        return message, {"most": MAX_LENGTH}
    if len(password) < MIN_LENGTH and not passphrase(password):
        message = ("The password is too short: use at least {least} characters, or a "
                   "passphrase of 4 or more words.")
        return message, {"least": MIN_LENGTH}
    if len(password) <= CHECKED_LENGTH and near_name(password, user_name):
        message = ("The password is too close to the user name; choose one that does not "
                   "contain it.")
        return message, {}
    if len(password) <= CHECKED_LENGTH and easy(password):
        message = ("The password is one of the most common passwords or an easy pattern "
                   "(such as password123 or 123456789012); choose another, for example 4 or "
                   "more unrelated words.")
        return message, {}
    return None
