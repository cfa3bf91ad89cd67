"""``docs/spec.md`` from the job spec's published JSON Schema (``schemas/JobSpec.schema.json``, which
``zygarde schemas`` writes from ``JobSpec`` in zygarde/events/spec.py): one row per field, nested objects
under their dotted path, each with its type, default, bounds and description.

``python -m zygarde.specdoc`` writes the page; ``--check`` exits 1 when the page on disk is not what
would be written now, or a field has no description.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from zygarde.settings import REPO_ROOT

SCHEMA = REPO_ROOT / "schemas" / "JobSpec.schema.json"
PAGE = REPO_ROOT / "docs" / "spec.md"
BOUNDS = (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<"),
          ("minLength", "length >="), ("maxLength", "length <="))

HEADER = """# The job spec

The body of `POST /jobs` (and of `zygarde submit FILE`), and the `spec` inside `JobSubmitted`. Generated
from [schemas/JobSpec.schema.json](../schemas/JobSpec.schema.json) by `python -m zygarde.specdoc`: edit the
field descriptions in `zygarde/events/spec.py`, run `zygarde schemas`, then `python -m zygarde.specdoc`.

Unknown fields are refused, and every reason a spec is refused is given at once (HTTP 422 or
`JobRejected`). A minimal spec:

```json
{"name": "churn", "dataset": {"uri": "file:///data/churn.csv", "target": "churned"}}
```
"""


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    return dict(schema["$defs"][ref.rsplit("/", 1)[-1]])


def type_of(schema: dict[str, Any], node: dict[str, Any]) -> str:
    """A short type: ``int``, ``"a" | "b"``, ``list of string | AlgorithmChoice``, ``object``, ``... | null``."""
    if "enum" in node:
        return " \\| ".join(json.dumps(v) for v in node["enum"])
    if "anyOf" in node:
        return " \\| ".join(type_of(schema, n) for n in node["anyOf"])
    if "$ref" in node:
        return str(node["$ref"].rsplit("/", 1)[-1])
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema, node.get('items', {}))}"
    return {"integer": "int", "number": "number", "boolean": "bool"}.get(kind, str(kind))


def _bounds(node: dict[str, Any]) -> str:
    parts = [f"{word} {node[key]}" for key, word in BOUNDS if key in node]
    for sub in node.get("anyOf", []):
        parts += [f"{word} {sub[key]}" for key, word in BOUNDS if key in sub]
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fields(schema: dict[str, Any], obj: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any], bool]]:
    """Every field under ``obj`` as ``(dotted path, its schema, required)``, nested objects' fields after
    their own row, in the schema's order."""
    out: list[tuple[str, dict[str, Any], bool]] = []
    required = set(obj.get("required", []))
    for name, node in obj.get("properties", {}).items():
        path = f"{prefix}{name}"
        out.append((path, node, name in required))
        target = _resolve(schema, node)
        if "properties" in target:
            out += fields(schema, target, f"{path}.")
        for ref in _item_refs(node):
            out += fields(schema, _resolve(schema, {"$ref": ref}), f"{path}[].")
    return out


def _item_refs(node: dict[str, Any], in_list: bool = False) -> list[str]:
    """The objects a list field may hold (``algorithms``: a name or an ``AlgorithmChoice``)."""
    found = [node["$ref"]] if in_list and "$ref" in node else []
    for sub in node.get("anyOf", []):
        found += _item_refs(sub, in_list)
    if "items" in node:
        found += _item_refs(node["items"], True)
    return found


def undescribed(schema: dict[str, Any]) -> list[str]:
    """The dotted paths of the fields with no description."""
    return [path for path, node, _ in fields(schema, schema) if not node.get("description")]


def render(schema: dict[str, Any]) -> str:
    lines = [HEADER, "| field | type | default | bounds | description |", "|---|---|---|---|---|"]
    for path, node, required in fields(schema, schema):
        default = "required" if required else json.dumps(node["default"]) if "default" in node else ""
        lines.append(f"| `{path}` | {type_of(schema, node)} | {_cell(default)} | {_bounds(node)} | "
                     f"{_cell(node.get('description', ''))} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    schema = json.loads(SCHEMA.read_text())
    page = render(schema)
    if "--check" in argv:
        missing = undescribed(schema)
        stale = not PAGE.exists() or PAGE.read_text() != page
        for path in missing:
            print(f"no description: {path}", file=sys.stderr)
        if stale:
            print(f"{PAGE.relative_to(REPO_ROOT)} is stale: run python -m zygarde.specdoc", file=sys.stderr)
        return 1 if missing or stale else 0
    PAGE.write_text(page)
    print(f"wrote {Path(PAGE).relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
