"""docs/spec.md: every job spec field described, and the page what ``python -m zygarde.specdoc`` writes now."""

from __future__ import annotations

import json

from zygarde import events as ev
from zygarde import specdoc


def test_every_job_spec_field_has_a_description() -> None:
    schema = ev.JobSpec.model_json_schema()
    assert specdoc.undescribed(schema) == [], "describe these fields in zygarde/events/spec.py"


def test_the_page_lists_every_field_of_every_object() -> None:
    schema = ev.JobSpec.model_json_schema()
    every = len(schema["properties"]) + sum(len(d.get("properties", {})) for d in schema["$defs"].values())
    paths = [path for path, _, _ in specdoc.fields(schema, schema)]
    assert len(paths) == every == len(set(paths)), paths
    assert {"dataset.uri", "search.max_trials", "cv.folds", "algorithms[].name", "registry.auto_promote"} <= set(paths)


def test_a_field_without_description_is_found_nested_in_a_list() -> None:
    schema = ev.JobSpec.model_json_schema()
    del schema["$defs"]["AlgorithmChoice"]["properties"]["name"]["description"]
    assert specdoc.undescribed(schema) == ["algorithms[].name"]


def test_docs_spec_md_is_what_the_script_writes_now() -> None:
    page = specdoc.render(json.loads(specdoc.SCHEMA.read_text()))
    assert specdoc.PAGE.read_text() == page, "run `zygarde schemas` then `python -m zygarde.specdoc`"
    assert "| `search.max_trials` | int | 20 | >= 1, <= 10000 | most trials the search requests |" in page
