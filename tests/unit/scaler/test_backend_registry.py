"""Scaler backends come from one registry (BACKENDS): a backend is its file and one registry line."""

from __future__ import annotations

import pytest

from services.scaler.backends import BACKENDS, BaseScalerBackend, backend_class


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_registered_backend_is_a_scaler_backend_of_its_own_module(name: str) -> None:
    cls = backend_class(name)
    assert issubclass(cls, BaseScalerBackend)
    assert cls.__module__ == f"services.scaler.backends.{name}"


def test_an_unknown_name_lists_the_registry() -> None:
    with pytest.raises(ValueError, match="'nomad'; choose local, kubernetes, docker or aws$"):
        backend_class("nomad")
