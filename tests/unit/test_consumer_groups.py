"""Consumer groups follow the topic prefix: deployments (and tests) sharing a broker never share one."""

from __future__ import annotations

import pytest

from zygarde.settings import Settings


@pytest.mark.parametrize(("prefix", "group"), [
    # the default keeps the names the manifests and KEDA's ScaledObject use
    pytest.param("zygarde.", "zygarde-trainers", id="default"),
    pytest.param("t1a2b3c4d5.", "t1a2b3c4d5-trainers", id="test-prefix"),
    pytest.param("team.a.", "team-a-trainers", id="dotted"),
    pytest.param("x", "x-trainers", id="no-dot"),
])
def test_group_follows_the_prefix(prefix: str, group: str) -> None:
    assert Settings(topic_prefix=prefix).consumer_group("trainers") == group
