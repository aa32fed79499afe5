"""Bootstrap is vendored under static/vendor/, byte for byte as upstream published it (no CDN, no wrapper package)."""

from __future__ import annotations

import hashlib
import re
from http import HTTPStatus
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static

BASE_DIR = Path(settings.BASE_DIR)
BOOTSTRAP = "vendor/bootstrap-5.3.8"
# SHA-256 of Bootstrap 5.3.8's dist files (package/dist/css/..., package/dist/js/...) and its package/LICENSE, as
# published on npm in bootstrap-5.3.8.tgz (dist.integrity
# sha512-HP1SZDqaLDPwsNiqRqi5NcP0SSXciX2s9E+RyqJIIqGo+vJeN5AJVM98CXmW/Wux0nQ5L7jeWUdplCEf0Ee+tg==). The .map files are
# there because the minified files name them: the collectstatic manifest storage follows sourceMappingURL
# references and fails when they are missing.
VENDORED = {
    f"{BOOTSTRAP}/css/bootstrap.min.css": "d85327d99c7a3ee1f9b5d0500d1370acea3ad2db39c163c2f51f232baedbdede",
    f"{BOOTSTRAP}/css/bootstrap.min.css.map": "48144faf6aa0fb3cd2ce748d9730238f888f4ab715f05dabd1c9af2c5671988a",
    f"{BOOTSTRAP}/js/bootstrap.bundle.min.js": "e4fd49181388c48ec5040bd3fe66f57c29c8e67fcd8502b3354b96ec7ab47cc7",
    f"{BOOTSTRAP}/js/bootstrap.bundle.min.js.map": "c61123e58cc0a4b65d737ba070c485911b3dbec6d7b802bdf6628395abd9c08b",
    f"{BOOTSTRAP}/LICENSE": "4620c84ad5ce8602ff65640ed6b7c8b78ebb9e036584f0ebc1ccc88206a4bb51",
}


def test_vendored_bootstrap_files_are_upstreams_bytes():
    on_disk = {
        path.relative_to(BASE_DIR / "static").as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (BASE_DIR / "static" / BOOTSTRAP).rglob("*")
        if path.is_file()
    }
    assert on_disk == VENDORED


def test_base_template_loads_the_vendored_files_and_the_static_finders_find_them():
    base = (BASE_DIR / "templates" / "base.html").read_text(encoding="utf-8")
    used = set(re.findall(r"{% static '([^']*bootstrap[^']*)' %}", base))
    assert used == {f"{BOOTSTRAP}/css/bootstrap.min.css", f"{BOOTSTRAP}/js/bootstrap.bundle.min.js"}
    for path in used:
        assert Path(finders.find(path)) == BASE_DIR / "static" / path


def test_the_vendored_files_are_served(client, db):
    for path in (f"{BOOTSTRAP}/css/bootstrap.min.css", f"{BOOTSTRAP}/js/bootstrap.bundle.min.js"):
        response = client.get(static(path))
        assert response.status_code == HTTPStatus.OK, path
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == VENDORED[path]
