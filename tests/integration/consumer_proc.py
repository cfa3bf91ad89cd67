"""A consumer process for crash tests: records ``partition offset`` of every handled message. It consumes
``trials`` as a trainer does, with the trainer principal's credentials when the broker authenticates."""

from __future__ import annotations

import sys

from zygarde import topics
from zygarde.bus import EventConsumer, EventProducer


def main() -> None:
    bootstrap, prefix, group, out = sys.argv[1:5]
    dlq = EventProducer(bootstrap, prefix, service="trainer")
    consumer = EventConsumer(bootstrap, prefix, group, [topics.TRIALS], dlq=dlq, service="trainer")
    consumer.install_signal_handlers()
    with open(out, "a", buffering=1) as fh:
        def handle(event: object, meta: object) -> None:
            fh.write(f"{meta.partition} {meta.offset} {event.trial_id}\n")  # type: ignore[attr-defined]

        consumer.run(handle)


if __name__ == "__main__":
    main()
