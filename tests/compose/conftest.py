"""The compose end-to-end tests run in `make test`, which installs podman, runc, mmdebstrap and
docker-compose and builds the images first (deploy/images/build.sh). A missing engine, compose
client or image fails the tests (bench/_compose.py's checks), it never skips them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench._compose import TrainerEvents, podman_api


@pytest.fixture(scope="module")
def trainer_events() -> Iterator[TrainerEvents]:
    """Every trainer container's start and death from before compose up on (compose's own trainers
    may be stopped by the idle scaler before the first test begins), on podman's API socket of this
    module's stack."""
    with podman_api() as (sock, env), TrainerEvents(env) as events:
        events.sock = sock
        yield events
