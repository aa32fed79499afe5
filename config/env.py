"""Strict reading of on/off settings from the environment: a value we cannot read stops start-up.

django-environ's `env.bool` reads every word it does not know as False, so `STEPWISE_REQUIRE_MFA=ture` (or a
`.env` line with a trailing comment) would silently turn two-factor sign-in off. `strict_bool` refuses instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def strict_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """The environment variable `name` as a bool, or `default` when it is not set.

    Accepts 1/0, true/false, yes/no and on/off in any case (surrounding spaces ignored). Anything else, an empty
    value included, raises ImproperlyConfigured naming the variable and the value.
    """
    source = os.environ if environ is None else environ
    if name not in source:
        return default
    raw = source[name]
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not an on/off value: use one of 1/0, true/false, yes/no, on/off (any case)."
    )
