"""The shared registry helper: duplicates refused, misses list the valid names, both error types caught."""

import pytest

import attnzoo.functional as AF
from attnzoo._registry import Registry, UnknownNameError
from attnzoo.data import CLIENTS, DATASETS
from attnzoo.nn import ACTIVATIONS
from attnzoo.nn.vision.registry import _ATTENTION


def test_register_lookup_and_duplicates():
    reg = Registry("widget")

    @reg.register("a")
    def a():
        return 1

    assert reg.lookup("a") is a and reg["a"] is a and isinstance(reg, dict)
    with pytest.raises(ValueError, match=r"a widget named 'a' is already registered \(by .*a\)"):
        reg.register("a")(lambda: 2)
    assert reg["a"] is a  # the first one stays
    with pytest.raises(ValueError, match="non-empty string"):
        reg.register("")


def test_a_miss_names_the_valid_ones_and_is_both_key_and_value_error():
    reg = Registry("widget", hint=" (or a callable)")
    reg.add("b", 1)
    reg.add("a", 2)
    for exc in (KeyError, ValueError):
        with pytest.raises(exc) as info:
            reg.lookup("c")
        assert str(info.value) == "unknown widget 'c'; valid: a, b (or a callable)"
    with pytest.raises(UnknownNameError):
        reg.lookup(["unhashable"])


@pytest.mark.parametrize(
    "reg", [AF.SCORES, AF.NORMALIZERS, AF.KERNELS, _ATTENTION, ACTIVATIONS, DATASETS, CLIENTS]
)
def test_every_package_registry_is_one(reg):
    assert isinstance(reg, Registry) and len(reg) > 0
    with pytest.raises(UnknownNameError, match=f"unknown {reg.kind} 'no-such-name'; valid: "):
        reg.lookup("no-such-name")
