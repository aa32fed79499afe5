"""Helpers for the security tests: sign in through the real form, make TOTP codes, list every URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-battery"  # noqa: S105 - tests.factories.UserFactory's password
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def frozen():
    """The clock, frozen; `frozen.shift(timedelta)` moves it on."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    """POST the sign-in form as a browser would (axes sees the request, unlike force_login)."""
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def token_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or `steps_ahead` 30-second steps later)."""
    t0 = device.t0 - steps_ahead * device.step
    return f"{totp(device.bin_key, step=device.step, t0=t0, digits=device.digits):06d}"


# A sample value for every path converter and regex group the project uses. A new one fails the sweep until a
# sample is added here.
CONVERTER_SAMPLES = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "path": "1",
    "uuid": "00000000-0000-0000-0000-000000000001",
}
REGEX_GROUP_SAMPLES = {"app_label": "clinics", "url": "sample", "content_type_id": "1", "object_id": "1"}
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
GROUP = re.compile(r"\((?:\?P<(?P<name>\w+)>)?")  # a named or plain capturing group


def _regex_to_path(regex: str) -> str:
    """Turn an admin-style regex into a concrete path: named groups get their sample, plain groups an id."""
    out, i = "", 0
    for match in GROUP.finditer(regex):
        if match.start() < i:
            continue
        depth, j = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[j], 0)
            j += 1
        name = match["name"]
        assert name is None or name in REGEX_GROUP_SAMPLES, f"no sample for regex group {name!r} in {regex!r}"
        out += regex[i : match.start()] + (REGEX_GROUP_SAMPLES[name] if name else "1")
        i = j
    out += regex[i:]
    path = out.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    assert not re.search(r"[\\^$*+?()\[\]|]", path), f"cannot make a path from {regex!r}"
    return path


def _route_sample(match: re.Match) -> str:
    converter = match["converter"] or "str"
    assert converter in CONVERTER_SAMPLES, f"no sample for converter {converter!r} in {match.string!r}"
    return CONVERTER_SAMPLES[converter]


def _pattern_to_path(pattern) -> str:
    if hasattr(pattern, "_route"):  # path("<int:pk>/...")
        return ROUTE_PARAMETER.sub(_route_sample, str(pattern))
    return _regex_to_path(pattern.regex.pattern)  # re_path, as the admin uses


def _paths_under(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, str]]:
    for entry in resolver.url_patterns:
        path = prefix + _pattern_to_path(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _paths_under(entry, path)
        elif isinstance(entry, URLPattern):
            yield "/" + path, entry.lookup_str


def all_url_paths() -> Iterator[tuple[str, str]]:
    """Every URL pattern of the project as a concrete path, with its view's dotted name."""
    return _paths_under(get_resolver(), "")
