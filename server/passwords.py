"""The password policy: what a new dashboard password must be, wherever one is set.

A password is refused when it is shorter than `PASSWORD_MIN_LENGTH`, when it
contains the user's e-mail name (the part before the @) or the organisation's
name, or when it is easy to guess: common passwords, words and names, keyboard
rows, repeats, sequences and dates. Guessability is estimated by zxcvbn
(`zxcvbn` on PyPI: Dan Wheeler's estimator from Dropbox, ported to Python by
Daniel Wolf, MIT licence), which ships its own frequency lists (common
passwords, English words, names, and TV and film words); nothing is fetched.

The command line (`vigie init`, `vigie users add`) and the dashboard call
`check_new_password`; each reason is a translatable message, raised as
`InvalidInput(field, reason)` so that both show `field: reason`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from zxcvbn import zxcvbn

from server.validation import InvalidInput

DEFAULT_MIN_LENGTH = 10
"""Shortest password accepted unless `VIGIE_PASSWORD_MIN_LENGTH` says otherwise."""

DEFAULT_MIN_SCORE = 3
"""zxcvbn score (0–4) a password needs unless `VIGIE_PASSWORD_MIN_SCORE` says
otherwise: 3 is "safely unguessable" (about 10^10 guesses), zxcvbn's own advice."""

MAX_SCORE = 4
"""The best zxcvbn score."""

SCORED_LENGTH = 72
"""Characters zxcvbn looks at (it refuses longer input): a password whose first
72 characters are hard to guess is hard to guess."""

MIN_PERSONAL_PART = 4
"""Shortest piece of an e-mail name or organisation name refused inside a
password: shorter ones ("ab", "sas") would refuse too many good passwords."""

_SEPARATORS = re.compile(r"[\W_]+")

_GUESS_LOCK = threading.Lock()
"""zxcvbn keeps the personal words of the call being scored in a module-level
dictionary: two threads scoring at once would each see the other's."""


@dataclass(frozen=True)
class PasswordPolicy:
    """The settings of the policy: minimum length and zxcvbn score."""

    min_length: int = DEFAULT_MIN_LENGTH
    min_score: int = DEFAULT_MIN_SCORE

    @classmethod
    def of(cls, config: Any) -> PasswordPolicy:
        """The policy of an app's configuration."""
        return cls(config["PASSWORD_MIN_LENGTH"], config["PASSWORD_MIN_SCORE"])

    def check(
        self,
        password: str,
        email: str = "",
        organisation: str = "",
        field: str = "password",
    ) -> str:
        """Return `password` if the policy accepts it for the user with `email`
        in `organisation`.

        :raise InvalidInput: naming `field`, with the first reason it is refused.
        """
        if len(password) < self.min_length:
            raise InvalidInput(field, _("at least %(count)d characters", count=self.min_length))
        lowered = _letters_and_digits(password)
        if any(part in lowered for part in personal_parts(email.split("@", 1)[0])):
            raise InvalidInput(
                field, _("must not contain the e-mail address's name (before the @)")
            )
        if any(part in lowered for part in personal_parts(organisation)):
            raise InvalidInput(field, _("must not contain the organisation's name"))
        with _GUESS_LOCK:
            estimate = zxcvbn(password[:SCORED_LENGTH], user_inputs=[email, organisation])
        if estimate["score"] < self.min_score:
            raise InvalidInput(field, guessable_reason(estimate["sequence"]))
        return password


def check_new_password(
    password: str, email: str = "", organisation: str = "", field: str = "password"
) -> str:
    """Return `password` if the current app's policy accepts it for the user with
    `email` in the organisation named `organisation`.

    :raise InvalidInput: naming `field`, with a translated reason.
    """
    return PasswordPolicy.of(current_app.config).check(password, email, organisation, field)


def personal_parts(name: str) -> set[str]:
    """What of an e-mail name or organisation name a password must not contain:
    the whole name and each of its words, in lower case without separators,
    when long enough to matter ("jean.dupont" → jeandupont, jean, dupont)."""
    words = [word for word in _SEPARATORS.split(name.lower()) if word]
    parts = {"".join(words), *words}
    return {part for part in parts if len(part) >= MIN_PERSONAL_PART}


def _letters_and_digits(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


def guessable_reason(sequence: list[dict[str, Any]]) -> str:
    """Why zxcvbn finds a password easy to guess, from the longest pattern it
    matched (as zxcvbn's own feedback does), in the user's language."""
    longest = max(sequence, key=lambda match: len(match["token"]), default=None)
    pattern = longest["pattern"] if longest else ""
    if pattern == "dictionary" and longest and longest.get("dictionary_name") == "passwords":
        why = _("it is a common password, or close to one")
    elif pattern == "dictionary":
        why = _("it is mostly a common word or name")
    elif pattern == "repeat":
        why = _("it repeats characters, like aaa or abcabc")
    elif pattern == "sequence":
        why = _("it is a sequence, like abcd or 6543")
    elif pattern == "spatial":
        why = _("it is a keyboard pattern, like qwerty")
    elif pattern in ("date", "regex"):
        why = _("it is mostly a date or a year")
    else:
        why = _("it is too short for the characters it uses")
    return _("too easy to guess: %(why)s. Use a few uncommon words.", why=why)
