"""A stop asked for (SIGTERM/SIGINT) from a consumer service's first moment, kept until its loop runs.

A trainer imports its libraries, connects to its store and makes its clients before its consumer loop
can take a signal: that takes tens of seconds on a busy host. A SIGTERM in that window killed it with
the default action, and in a container, where the service is PID 1 and the kernel drops a signal that
has no handler, was ignored: the trainer then joined its group and ran until the engine killed it at
the drain timeout (137). Caught here instead, the stop waits for the consumer loop, which ends before
taking any message (``EventConsumer.install_signal_handlers``): nothing was taken, so nothing is lost."""

from __future__ import annotations

import signal
import threading

REQUESTED = threading.Event()


def catch() -> None:
    """Remember SIGTERM/SIGINT from now on (the consumer's own handlers replace these)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: REQUESTED.set())
