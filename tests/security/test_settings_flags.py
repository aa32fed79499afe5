"""On/off settings are read strictly: a mistyped security flag stops start-up instead of silently meaning off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import strict_bool

BASE_DIR = Path(settings.BASE_DIR)
FLAGS = ("DEBUG", "SECURE_SSL_REDIRECT", "STEPWISE_REQUIRE_MFA")
# Loads config.settings (production settings) as `manage.py` would and prints the flags it read.
LOAD_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings; "
    f"print(json.dumps({{name: getattr(settings, name) for name in {list(FLAGS)!r}}}))"
)


def _load_production_settings(**flags: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", *FLAGS))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="stepwise-flag-tests-only",
        STEPWISE_PROXY_COUNT="0",
        **flags,
    )
    return subprocess.run(  # noqa: S603 - our own settings, fixed code
        [sys.executable, "-c", LOAD_SETTINGS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "Yes", "on", " On "])
def test_true_words(word):
    assert strict_bool("FLAG", default=False, environ={"FLAG": word}) is True


@pytest.mark.parametrize("word", ["0", "false", "False", "NO", "off", "0\n"])
def test_false_words(word):
    assert strict_bool("FLAG", default=True, environ={"FLAG": word}) is False


@pytest.mark.parametrize("default", [True, False])
def test_an_unset_flag_takes_its_default(default):
    assert strict_bool("FLAG", default=default, environ={}) is default


@pytest.mark.parametrize("word", ["ture", "", "2", "enabled", "y", "1 # staff must use TOTP", "nope"])
def test_anything_else_is_refused_with_the_name_and_the_value(word):
    with pytest.raises(ImproperlyConfigured) as refused:
        strict_bool("STEPWISE_REQUIRE_MFA", default=False, environ={"STEPWISE_REQUIRE_MFA": word})
    assert f"STEPWISE_REQUIRE_MFA={word!r}" in str(refused.value)


@pytest.mark.parametrize("flag", FLAGS)
def test_a_mistyped_flag_stops_start_up(flag):
    result = _load_production_settings(**{flag: "ture"})
    assert result.returncode != 0, result.stdout
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr, result.stderr
    assert f"{flag}='ture' is not an on/off value" in result.stderr, result.stderr


def test_valid_flags_are_read_in_any_spelling():
    result = _load_production_settings(DEBUG="Off", SECURE_SSL_REDIRECT="no", STEPWISE_REQUIRE_MFA="TRUE")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"DEBUG": False, "SECURE_SSL_REDIRECT": False, "STEPWISE_REQUIRE_MFA": True}


@pytest.mark.skipif((BASE_DIR / ".env").exists(), reason="a local .env file would supply the flags")
def test_unset_flags_take_the_production_defaults():
    result = _load_production_settings()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"DEBUG": False, "SECURE_SSL_REDIRECT": True, "STEPWISE_REQUIRE_MFA": False}


def test_env_example_read_as_a_dotenv_file_gives_readable_values():
    """`.env.example` copied to `.env`: no value carries a comment, and every on/off flag is readable."""

    class Dotenv(environ.Env):
        ENVIRON: dict[str, str] = {}

    Dotenv.read_env(BASE_DIR / ".env.example")
    assert set(FLAGS) <= set(Dotenv.ENVIRON)
    assert [name for name, value in Dotenv.ENVIRON.items() if "#" in value] == []
    for flag in FLAGS:
        strict_bool(flag, default=False, environ=Dotenv.ENVIRON)
