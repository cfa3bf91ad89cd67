"""``zygarde pause`` / ``zygarde resume`` against a server that answers like the planner."""

from __future__ import annotations

import pytest

from tests.unit.cli.test_cli_output import JOB, Planner, planner, zygarde

__all__ = ["planner"]  # the fixture, shared


@pytest.mark.parametrize("command", ["pause", "resume"])
def test_pause_and_resume_post_to_the_job_and_say_so(planner: Planner, command: str) -> None:
    planner.answers[f"POST /jobs/{JOB}/{command}"] = (202, {"job_id": JOB, "status": f"{command}_requested"})
    out = zygarde(planner.url, command, JOB)
    assert out.returncode == 0, out.stderr
    assert f"{command} requested for {JOB}" in out.stdout


def test_resuming_a_job_that_is_not_paused_is_one_line_and_exit_6(planner: Planner) -> None:
    planner.answers[f"POST /jobs/{JOB}/resume"] = (409, {"detail": [f"job {JOB} is not paused (it is running)"]})
    out = zygarde(planner.url, "resume", JOB)
    assert out.returncode == 6
    assert "is not paused" in out.stderr and "Traceback" not in out.stderr
