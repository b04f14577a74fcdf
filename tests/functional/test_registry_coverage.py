"""Every registered score, normaliser and kernel is exercised by the parametrised tests: one that needs an
argument must have an entry in the tests' extras table, else this fails."""

import inspect

import pytest

import attnzoo.functional as AF
from tests.functional.conftest import NORM_EXTRAS, NORM_NAMES, SCORE_EXTRAS, SCORE_NAMES


def _required_keywords(fn) -> set[str]:
    """Parameters beyond the two positional inputs (and ``mask``) that have no default."""
    params = list(inspect.signature(fn).parameters.values())[2:]
    return {
        p.name
        for p in params
        if p.default is p.empty and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "mask"
    }


def test_the_tests_read_the_registries():
    assert sorted(AF.SCORES) == SCORE_NAMES and sorted(AF.NORMALIZERS) == NORM_NAMES
    assert set(SCORE_EXTRAS) <= set(AF.SCORES) and set(NORM_EXTRAS) <= set(AF.NORMALIZERS)


@pytest.mark.parametrize("name", SCORE_NAMES)
def test_every_score_needing_arguments_has_extras(name):
    need = _required_keywords(AF.SCORES[name])
    if need:
        assert name in SCORE_EXTRAS, f"score {name!r} needs {sorted(need)}: add it to SCORE_EXTRAS"
        given = set(SCORE_EXTRAS[name](4, 3, lambda *s: None))
        assert need <= given, f"SCORE_EXTRAS[{name!r}] lacks {sorted(need - given)}"


@pytest.mark.parametrize("name", NORM_NAMES)
def test_every_normaliser_needing_arguments_has_extras(name):
    need = _required_keywords(AF.NORMALIZERS[name])
    if need:
        assert name in NORM_EXTRAS, f"normaliser {name!r} needs {sorted(need)}: add it to NORM_EXTRAS"
        assert need <= set(NORM_EXTRAS[name]), (
            f"NORM_EXTRAS[{name!r}] lacks {sorted(need - set(NORM_EXTRAS[name]))}"
        )


def test_the_check_itself_can_fail():
    def needy(q, k, *, weight):
        return q

    assert _required_keywords(needy) == {"weight"} and _required_keywords(AF.dot_score) == set()
