""""Did you mean" for names a user can mistype: module types, ids, keys, implementations."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """``" (did you mean 'X'?)"`` for the closest of ``choices``, or ``""`` if none is close.

    Case is ignored when comparing, because ``evsemanager`` for ``EvseManager`` and
    ``max_current_a`` for ``max_current_A`` are the typos people make.
    """
    by_lower = {str(choice).lower(): str(choice) for choice in choices}
    close = difflib.get_close_matches(str(word).lower(), by_lower, n=1, cutoff=0.75)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close else ""
