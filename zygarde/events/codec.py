"""Every message type by name, bytes to event (``decode``), and one JSON Schema per type (``json_schemas``)."""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from zygarde.errors import DecodeError
from zygarde.events.envelope import Event
from zygarde.events.jobs import (
    JobAccepted,
    JobCancelled,
    JobCancelRequested,
    JobCompleted,
    JobFailed,
    JobPaused,
    JobPauseRequested,
    JobRejected,
    JobResumed,
    JobResumeRequested,
    JobSearchFinished,
    JobSubmitted,
    RetrainRequested,
)
from zygarde.events.outcomes import MessageDeadLettered, ModelSelected, ScalingDecided
from zygarde.events.spec import JobSpec, _Spec, spec_errors
from zygarde.events.trials import TrialCompleted, TrialFailed, TrialProgressed, TrialRequested, TrialStarted

AnyEvent = Annotated[
    JobSubmitted
    | JobCancelRequested
    | JobPauseRequested
    | JobResumeRequested
    | RetrainRequested
    | JobAccepted
    | JobRejected
    | JobSearchFinished
    | JobCompleted
    | JobFailed
    | JobCancelled
    | JobPaused
    | JobResumed
    | TrialRequested
    | TrialStarted
    | TrialProgressed
    | TrialCompleted
    | TrialFailed
    | ModelSelected
    | ScalingDecided
    | MessageDeadLettered,
    Field(discriminator="type"),
]

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        JobSubmitted,
        JobCancelRequested,
        JobPauseRequested,
        JobResumeRequested,
        RetrainRequested,
        JobAccepted,
        JobRejected,
        JobSearchFinished,
        JobCompleted,
        JobFailed,
        JobCancelled,
        JobPaused,
        JobResumed,
        TrialRequested,
        TrialStarted,
        TrialProgressed,
        TrialCompleted,
        TrialFailed,
        ModelSelected,
        ScalingDecided,
        MessageDeadLettered,
    )
}

_adapter: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def known_fields(model: type[BaseModel], data: Any) -> Any:
    """``data`` without the fields ``model`` does not know, at every depth of its job spec parts.

    A job spec is strict where a person writes it (a misspelt field is an error, not a silent
    default), but inside an event it was already accepted by a planner: a field a newer planner added
    must not make an older trainer dead-letter its trials during a rolling upgrade ("readers ignore
    unknown fields"). So ``decode`` drops them before validating, as the envelope's own config does."""
    if not isinstance(data, dict):
        return data
    known, nested = _fields_of(model)
    if not nested and not issubclass(model, _Spec):
        return data  # an envelope without spec parts ignores unknown fields by itself
    return {key: (_known_in(nested[key], value) if key in nested else value)
            for key, value in data.items() if key in known or not issubclass(model, _Spec)}


@functools.cache
def _fields_of(model: type[BaseModel]) -> tuple[frozenset[str], dict[str, Any]]:
    """The keys ``model`` reads (names and aliases), and the annotation of each that holds spec parts."""
    known: set[str] = set()
    nested: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        keys = {name, field.alias or name}
        known |= keys
        if _mentions_spec(field.annotation):
            nested.update(dict.fromkeys(keys, field.annotation))
    return frozenset(known), nested


def _mentions_spec(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, _Spec):
        return True
    return any(_mentions_spec(arg) for arg in typing.get_args(annotation))


def _known_in(annotation: Any, value: Any) -> Any:
    """``known_fields`` for one field's value, following lists and unions to the spec models in it."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _known_in(typing.get_args(annotation)[0], value)
    if isinstance(annotation, type) and issubclass(annotation, _Spec):
        return known_fields(annotation, value)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation) or (Any,)
        return [_known_in(item, v) for v in value]
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        if isinstance(value, dict):
            specs = [a for a in args if isinstance(a, type) and issubclass(a, _Spec)]
            if len(specs) == 1:
                return known_fields(specs[0], value)
        if isinstance(value, list):
            lists = [a for a in args if typing.get_origin(a) is list]
            if len(lists) == 1:
                return _known_in(lists[0], value)
    return value


def decode(raw: bytes | str) -> Event:
    """Bytes from Kafka to an event; anything else raises ``DecodeError`` with the reason."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, absurd numbers, absurd nesting
        raise DecodeError(f"not JSON: {str(exc)[:200]}") from exc
    if not isinstance(doc, dict):
        raise DecodeError("not a JSON object")
    if doc.get("type") not in EVENT_TYPES:
        raise DecodeError(f"unknown message type {doc.get('type')!r}")
    try:
        event: Event = _adapter.validate_python(known_fields(EVENT_TYPES[doc["type"]], doc))
    except ValidationError as exc:
        raise DecodeError(f"invalid {doc['type']}: " + "; ".join(spec_errors(exc))) from exc
    return event


def json_schemas(strategies: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """One JSON Schema per message type, plus the job spec; ``strategies``: the names a job's
    ``search.strategy`` may take (the planner's registry), listed as the field's ``enum``."""
    schemas = {name: cls.model_json_schema() for name, cls in EVENT_TYPES.items()}
    schemas["JobSpec"] = JobSpec.model_json_schema()
    if strategies:
        for schema in schemas.values():
            search = schema.get("$defs", {}).get("SearchSpec")
            if search is not None:
                search["properties"]["strategy"]["enum"] = list(strategies)
    return schemas
