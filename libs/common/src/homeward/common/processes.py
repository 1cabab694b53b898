"""Child processes that do not outlive the process that started them.

The embedded stack and the test fixtures start a broker and services as child processes. If
their parent is killed outright (SIGKILL, a CI timeout), nothing runs its clean-up, and the
children would go on holding ports and CPU. On Linux the kernel can tell them instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import sys

_PR_SET_PDEATHSIG = 1
_libc = (
    ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" else None
)


def die_with_parent() -> None:
    """A `preexec_fn`: the child gets SIGTERM when its parent dies (Linux; elsewhere nothing)."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
