"""Peak memory of the running process, for the benchmarks."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM where there is /proc, because on Linux
    getrusage's ru_maxrss carries the parent's peak over fork + exec (a benchmark child
    would report its parent's size)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes there, KiB here
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024
