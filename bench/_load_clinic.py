"""server_load's part 3, the clinic-sized load: 30 nurses and 20 patients acting every 2-5 s; p95 latency per page."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

from bench._load_http import MAX_REQUESTS_PER_CLIENT, Browser, _csrf, _latency, _local_now

# --- 3. clinic-sized load --------------------------------------------------------------------------------------


def clinic_load(port: int, rows: dict[str, Any], seconds: float, seed: int = 11) -> dict[str, Any]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def timed(browser: Browser, page: str, method: str, path: str, form: dict[str, str] | None = None) -> str:
        began = time.perf_counter()
        status, location, body = browser.request(method, path, form)
        elapsed = time.perf_counter() - began
        with lock:
            times[page].append(elapsed)
            if status not in (200, 302) or (status == 302 and "/login" in location):
                errors.append(f"{page} {status} {location}")
        return location if status == 302 else body

    def nurse(spec: dict[str, Any], rng: random.Random) -> None:
        browser, pk = Browser(port, spec["cookie"]), spec["challenge"]
        page = f"/challenges/{pk}/"
        try:
            token = _csrf(timed(browser, "challenge page", "GET", page))
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() + 2 >= deadline:
                    break
                time.sleep(rng.uniform(2, 5))
                roll = rng.random()
                if roll < 0.25:
                    timed(browser, "today's board", "GET", "/challenges/board/")
                elif roll < 0.40:
                    timed(browser, "patient search", "GET", f"/patients/?q={rng.choice(rows['search_words'])}")
                elif roll < 0.55:
                    timed(browser, "patient detail", "GET", f"/patients/{spec['patient']}/")
                elif roll < 0.85:
                    token = _csrf(timed(browser, "challenge page", "GET", page))
                elif roll < 0.93:
                    form = {
                        "csrfmiddlewaretoken": token,
                        "ate_all": "on",
                        "given_at": _local_now(rows["zone"]),
                        "idempotency_key": str(uuid.uuid4()),
                        "notes": "",
                    }
                    timed(browser, "dose post", "POST", f"/challenges/{pk}/dose/", form)
                    token = _csrf(
                        timed(browser, "challenge page", "GET", page)
                    )  # the redirect, as a browser follows it
                else:
                    form = {
                        "csrfmiddlewaretoken": token,
                        "item_code": rng.choice(rows["checklist"]),
                        "severity": "0",
                        "observed_at": _local_now(rows["zone"]),
                        "note": "",
                    }
                    timed(browser, "observation post", "POST", f"/challenges/{pk}/observation/", form)
                    token = _csrf(timed(browser, "challenge page", "GET", page))
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"nurse {type(exc).__name__}: {exc}")
        finally:
            browser.close()

    def patient(spec: dict[str, Any], rng: random.Random) -> None:
        browser, pk = Browser(port, spec["cookie"]), spec["challenge"]
        page = f"/challenges/{pk}/plan/"
        try:
            token = _csrf(timed(browser, "home plan", "GET", page))
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() + 2 >= deadline:
                    break
                time.sleep(rng.uniform(2, 5))
                if rng.random() < 0.85:
                    token = _csrf(timed(browser, "home plan", "GET", page))
                else:
                    form = {
                        "csrfmiddlewaretoken": token,
                        "ate_all": "on",
                        "given_at": _local_now(rows["zone"]),
                        "idempotency_key": str(uuid.uuid4()),
                    }
                    timed(browser, "home step post", "POST", f"/challenges/{pk}/plan/step/", form)
                    token = _csrf(timed(browser, "home plan", "GET", page))
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"patient {type(exc).__name__}: {exc}")
        finally:
            browser.close()

    master = random.Random(seed)
    threads = [
        threading.Thread(target=nurse, args=(s, random.Random(master.random())), daemon=True) for s in rows["nurses"]
    ]
    threads += [
        threading.Thread(target=patient, args=(s, random.Random(master.random())), daemon=True)
        for s in rows["patients"]
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.05)  # staggered arrivals
    for thread in threads:
        thread.join(timeout=seconds + 120)
    pages = {name: _latency(values) for name, values in sorted(times.items())}
    return {
        "users": len(threads),
        "seconds": seconds,
        "pages": pages,
        "errors": len(errors),
        "error_samples": errors[:5],
    }
