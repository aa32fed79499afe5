"""A CPU budget for one app server, as its own machine would give it: a cgroup with a CPU quota.

The two-server run (bench/_load_two.py) asks whether a second app server adds throughput, as a second machine would.
On a machine whose cores one gunicorn already keeps busy, a second gunicorn can only share those cores, so the
uncapped comparison measures the machine, not the app. Capping each instance at the same CPU quota (Linux CFS
bandwidth control, `cpu.max` in cgroup v2 or `cpu.cfs_quota_us` in v1) gives each instance a budget of its own, as
two small machines would, while PostgreSQL and the clients run uncapped, as the database server and the users would.
If the instances shared something that serialised them (a lock, the audit chain, a session or throttle row), two
capped instances would not go faster than one.

Needs a writable cgroup file system (root, as on the bench machine); without one, `CpuCap.available()` says why and
the run is reported as not measured.
"""

from __future__ import annotations

import uuid
from pathlib import Path

PERIOD_US = 100_000
V2_ROOT = Path("/sys/fs/cgroup")
V1_ROOT = Path("/sys/fs/cgroup/cpu")


class CpuCap:
    """A cgroup holding at most `cores` of CPU time; processes join it with `add`."""

    def __init__(self, cores: float) -> None:
        self.cores = cores
        self.path, self.v2 = _make_group(f"stepwise-bench-{uuid.uuid4().hex[:8]}")
        quota = int(cores * PERIOD_US)
        if self.v2:
            (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))

    @staticmethod
    def available() -> str:
        """'' when a capped group can be made here, else why not."""
        try:
            path, _v2 = _make_group(f"stepwise-bench-probe-{uuid.uuid4().hex[:8]}")
        except OSError as exc:
            return f"no writable CPU cgroup ({exc.strerror or exc})"
        path.rmdir()
        return ""

    def add(self, pid: int) -> None:
        """Put a process in the group (with its threads; the processes it starts later are born in it)."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def throttled_s(self) -> float:
        """How long the group's processes were held back by the quota (the cap at work)."""
        for line in (self.path / "cpu.stat").read_text().splitlines():
            name, _sp, value = line.partition(" ")
            if name == "throttled_usec":
                return int(value) / 1e6
            if name == "throttled_time":  # v1, in nanoseconds
                return int(value) / 1e9
        return 0.0

    def remove(self) -> None:
        """Remove the group once its processes have ended."""
        try:
            self.path.rmdir()
        except OSError:
            pass


def _make_group(name: str) -> tuple[Path, bool]:
    """A new cgroup with the cpu controller: v2 where the unified hierarchy has it, else v1's cpu hierarchy."""
    controllers = V2_ROOT / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        subtree = V2_ROOT / "cgroup.subtree_control"
        if "cpu" not in subtree.read_text().split():
            subtree.write_text("+cpu")
        path = V2_ROOT / name
        path.mkdir()
        return path, True
    if (V1_ROOT / "cpu.cfs_quota_us").exists():
        path = V1_ROOT / name
        path.mkdir()
        return path, False
    raise OSError(2, "no cpu controller under /sys/fs/cgroup")
