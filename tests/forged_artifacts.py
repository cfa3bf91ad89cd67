"""A forged artifact for the signature tests: joblib bytes that run code when unpickled, with their sha256.

A store that checks only the sha256 recorded beside an artifact would load these bytes (a forger with
write access records the matching hash too); the signature check must refuse them before unpickling.
"""

from __future__ import annotations

import hashlib
import io

import joblib
import pytest


class Unpickled(Exception):
    """Raised by unpickling the forged bytes: a test sees whether a store ever unpickled them."""


class _Trap:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_explode, ("unpickled",))


def _explode(what: str) -> None:
    raise Unpickled(what)


def forged_pickle() -> tuple[bytes, str]:
    """The forged bytes and their sha256, once shown to run code when loaded unchecked."""
    buf = io.BytesIO()
    joblib.dump(_Trap(), buf)
    with pytest.raises(Unpickled):
        joblib.load(io.BytesIO(buf.getvalue()))  # the trap works: loading it unchecked would run it
    return buf.getvalue(), hashlib.sha256(buf.getvalue()).hexdigest()
