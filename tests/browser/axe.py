"""Accessibility checks inside the browser tests: axe-core (from the npm package that `make test` installs) is
injected into the page under test and run there; a serious or critical violation fails the test with its rule,
the elements it found and axe's help text.
"""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices; the tests fail on the two worst impacts only.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = frozenset({"serious", "critical"})


def violations(page, *, context: str | None = None) -> list[dict]:
    """Every axe violation on the page as it is now (or inside the element matched by `context`)."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make node` (make test does) to install axe-core.")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script> tag, so the app's strict CSP stays on.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async ([context, tags]) => await axe.run(context || document, {runOnly: {type: 'tag', values: tags}})",
        [context, TAGS],
    )
    return result["violations"]


def assert_accessible(page, *, context: str | None = None) -> None:
    """No serious or critical axe-core violation on the page."""
    serious = [v for v in violations(page, context=context) if v.get("impact") in FAILING_IMPACTS]
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in serious
    ]
    assert not serious, f"axe-core found {len(serious)} serious or critical violation(s) on {page.url}:\n" + "\n".join(
        lines
    )
