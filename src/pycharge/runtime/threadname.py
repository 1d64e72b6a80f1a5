"""Give the running thread its Python name in the kernel too, so ``top -H`` and
``/proc/<pid>/task/*/comm`` tell which module a busy or often woken thread belongs to.

Linux lets a process rename its own threads through ``/proc/self/task/<tid>/comm`` (at most 15
bytes); elsewhere, or when /proc is not mounted, nothing happens.
"""

from __future__ import annotations

import threading

COMM_BYTES = 15


def name_native_thread() -> None:
    """Call first thing in a thread's target."""
    thread = threading.current_thread()
    try:
        with open(f"/proc/self/task/{thread.native_id}/comm", "wb") as comm:
            comm.write(thread.name.encode(errors="replace")[:COMM_BYTES])
    except OSError:
        pass
