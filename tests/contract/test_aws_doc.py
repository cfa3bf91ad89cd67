"""deploy/aws/README.md documents the drain watcher's settings as they are: every ``ZYGARDE_ASG_DRAIN_*``
variable, none that does not exist, each literal default as the settings class has it."""

from __future__ import annotations

import re
from pathlib import Path

from zygarde.settings import AsgDrainSettings

DOC = Path(__file__).parents[2] / "deploy" / "aws" / "README.md"
ROW = re.compile(r"^\| `ZYGARDE_ASG_DRAIN_([A-Z_]+)` \| ([^|]+) \|", re.M)


def test_the_doc_lists_every_drain_setting_with_its_default() -> None:
    documented = {name.lower(): default.strip() for name, default in ROW.findall(DOC.read_text())}
    fields = AsgDrainSettings.model_fields
    assert set(documented) == set(fields)
    for name, default in documented.items():
        literal = re.fullmatch(r"`([^`]*)`", default)
        if literal:  # a literal default: the same value; otherwise words say where it comes from (field None)
            value = fields[name].default
            assert (float(literal[1]) if isinstance(value, float) else literal[1]) == value, name
        else:
            assert fields[name].default is None, name
