"""The watch window after each home step: one field (the protocol header's), a safe default when it is left blank,
and no home plan without one (docs/clinical-sources.md §5.4).

Before, the new-protocol page showed two watch fields when the home generator was chosen: the generator's ("blank
for 48 h") only checked the ladder's timing, and the header's ("blank for none") was the one saved, so a home
protocol made with the header's field left blank was saved with no watch window at all.
"""

from __future__ import annotations

from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from challenges.library.services.protocols import protocol_clone
from challenges.models import Food, Protocol
from clinical import home_ladder, kinds
from tests.challenges.factories_library import edit_data

HOME_NEW = {
    "name": "Cheesecake at home for Zoë",
    "kind": "home",
    "dose_basis": "food",
    "observation_minutes": "0",
    "watch_hours": "",
    "min_top_dose_mg": "",
    "follow_up_hours": "",
    "notes": "",
    "references": "",
    "gen-generator": "home",
    "gen-interval_minutes": "30",  # hidden for the home generator; the page still posts its initial value
    "gen-serving": "80",
    "gen-days_between": "3",
}


@pytest.fixture
def cheesecake(library) -> Food:
    return Food.objects.get(clinic=None, name="Cheesecake")


def _create(client, allergist, cheesecake, **changes: str):
    client.force_login(allergist)
    return client.post(reverse("challenges:protocol-create"), {**HOME_NEW, "food": str(cheesecake.pk), **changes})


def _own_home_protocol(home_protocol: Protocol, allergist) -> Protocol:
    return protocol_clone(protocol=home_protocol, clinic=allergist.clinic, by=allergist)


def _saved_before_the_rule(protocol: Protocol, *, watch_hours: int) -> None:
    """A protocol as the editor saved it before it refused a home plan without a watch window."""
    protocol.watch_hours = watch_hours
    protocol.save(update_fields=["watch_hours"])


# --- the rules ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "typed", "expected"),
    [
        ("home", None, home_ladder.HOME_WATCH_HOURS),  # blank: the longest watch §5.4 gives
        ("home", 0, 0),  # typed: kept as typed (and refused by the editor, below)
        ("home", 2, 2),
        ("home", 24, 24),
        ("open", None, 0),  # a clinic challenge observes after the last dose instead
        ("fpies", None, 0),
        ("open", 3, 3),
    ],
)
def test_watch_hours_is_as_typed_else_the_kinds_default(kind, typed, expected):
    assert kinds.watch_hours(kind, typed) == expected


def test_home_blank_watch_is_48_hours():
    assert home_ladder.HOME_WATCH_HOURS == 48
    assert kinds.KINDS["home"].default_watch_hours == home_ladder.HOME_WATCH_HOURS


@pytest.mark.parametrize(("watch", "missing"), [(0, True), (1, False), (2, False), (48, False)])
def test_a_watch_window_is_missing_below_one_hour(watch, missing):
    assert home_ladder.watch_missing(watch) is missing


# --- the new-protocol page ---------------------------------------------------------------------------------


def test_the_new_protocol_page_has_one_watch_field(client, allergist, library):
    client.force_login(allergist)
    html = client.get(reverse("challenges:protocol-create")).content.decode()
    assert html.count('name="watch_hours"') == 1
    assert "gen-watch_hours" not in html
    assert "48 h for a home reintroduction" in html


def test_a_home_protocol_with_the_watch_left_blank_watches_48_hours(client, allergist, cheesecake):
    response = _create(client, allergist, cheesecake)
    assert response.status_code == HTTPStatus.FOUND
    protocol = Protocol.objects.get(clinic=allergist.clinic)
    assert protocol.watch_hours == 48
    assert {step.interval_minutes for step in protocol.steps.all()} == {3 * 24 * 60}


def test_a_clinic_protocol_with_the_watch_left_blank_has_none(client, allergist, library):
    peanut_flour = Food.objects.get(clinic=None, name="Peanut flour", form="defatted")
    response = _create(
        client,
        allergist,
        peanut_flour,
        kind="open",
        dose_basis="protein",
        observation_minutes="120",
        **{"gen-generator": "practall7", "gen-interval_minutes": "30"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Protocol.objects.get(clinic=allergist.clinic).watch_hours == 0


@pytest.mark.parametrize(("typed", "saved"), [("1", 1), ("24", 24)])
def test_a_typed_watch_is_saved_as_typed(client, allergist, cheesecake, typed, saved):
    assert _create(client, allergist, cheesecake, watch_hours=typed).status_code == HTTPStatus.FOUND
    assert Protocol.objects.get(clinic=allergist.clinic).watch_hours == saved


def test_a_home_protocol_with_no_watch_is_refused(client, allergist, cheesecake):
    response = _create(client, allergist, cheesecake, watch_hours="0")
    assert response.status_code == HTTPStatus.OK
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()
    assert "A home plan watches for delayed symptoms after each step" in response.content.decode()


def test_a_watch_longer_than_the_days_between_steps_is_refused_next_to_the_watch_field(client, allergist, cheesecake):
    response = _create(client, allergist, cheesecake, watch_hours="96")  # 4 days, steps 3 days apart
    assert response.status_code == HTTPStatus.OK
    assert not Protocol.objects.filter(clinic=allergist.clinic).exists()
    errors = response.context["header"].errors["watch_hours"]
    assert errors == ["A watch of 4 days does not end before the next step, 3 days later."]
    assert not response.context["generator"].errors


def test_the_watch_that_fits_the_days_between_steps_is_saved(client, allergist, cheesecake):
    assert _create(client, allergist, cheesecake, watch_hours="72").status_code == HTTPStatus.FOUND
    assert Protocol.objects.get(clinic=allergist.clinic).watch_hours == 72


def test_the_preview_shows_the_watch_refusal(client, allergist, cheesecake):
    client.force_login(allergist)
    data = {**HOME_NEW, "food": str(cheesecake.pk), "watch_hours": "96"}
    html = client.post(reverse("challenges:protocol-create-preview"), data).content.decode()
    assert "does not end before the next step" in html


# --- the edit page ------------------------------------------------------------------------------------------


def test_editing_a_home_protocol_to_no_watch_is_refused_next_to_the_field(client, allergist, home_protocol):
    protocol = _own_home_protocol(home_protocol, allergist)
    client.force_login(allergist)
    url = reverse("challenges:protocol-edit", args=[protocol.pk])
    response = client.post(url, edit_data(protocol, watch_hours="0"))
    assert response.status_code == HTTPStatus.OK
    assert response.context["editor"].header.errors["watch_hours"]
    protocol.refresh_from_db()
    assert protocol.watch_hours == home_protocol.watch_hours


def test_regenerating_home_steps_checks_the_headers_watch(client, allergist, home_protocol):
    protocol = _own_home_protocol(home_protocol, allergist)
    client.force_login(allergist)
    data = edit_data(
        protocol,
        watch_hours="96",
        regenerate="",
        **{"gen-generator": "home", "gen-interval_minutes": "30", "gen-serving": "80", "gen-days_between": "3"},
    )
    response = client.post(reverse("challenges:protocol-edit", args=[protocol.pk]), data)
    assert response.context["editor"].header.errors["watch_hours"] == [
        "A watch of 4 days does not end before the next step, 3 days later."
    ]


# --- the library check: protocols saved before the rule (booking them: tests/run/test_rule_codes_booking.py) ------


def test_check_library_names_a_home_protocol_without_a_watch(home_protocol, allergist):
    protocol = _own_home_protocol(home_protocol, allergist)
    _saved_before_the_rule(protocol, watch_hours=0)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("check_library", stdout=out)
    assert f"{protocol.name} (v{protocol.version}): 1 error(s)" in out.getvalue()
    assert "ERROR home_watch_missing (protocol)" in out.getvalue()
