"""roots.schema: one walker from a section dataclass's type hints and field settings to one-line errors
naming the file and the key path."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from roots.errors import ConfigError
from roots.schema import Section, expectation, parse, setting


@dataclass(frozen=True)
class Inner(Section):
    seed: int = setting(0, ge=0)


@dataclass(frozen=True)
class Outer(Section):
    ratio: float = setting(0.5, ge=0, le=1)
    share: float | None = setting(None, gt=0, le=1)
    mode: str = setting("a", choices=("a", "b"))
    ops: tuple[str, ...] = setting((), item_choices=("x", "y"), item_name="operation")
    per_source: dict[str, tuple[str, ...]] = setting(default_factory=dict, item_choices=("x", "y"),
                                                     item_name="operation")
    sizes: list[int] = field(default_factory=list)
    folder: str | None = setting(None, path="dir")
    inner: Inner = field(default_factory=Inner)
    on: bool = True


@pytest.mark.parametrize("data, message", [
    ({"ratoi": 1}, "w: key 'ratoi' is not a known key (did you mean 'ratio'?)"),
    ({"ratio": 2}, "w: key 'ratio' must be a number from 0 to 1, got 2"),
    ({"ratio": "0.5"}, "w: key 'ratio' must be a number from 0 to 1, got str '0.5' (write it unquoted)"),
    ({"ratio": True}, "w: key 'ratio' must be a number from 0 to 1, got bool True"),
    ({"share": 0}, "w: key 'share' must be a number in (0, 1] or null, got 0"),
    ({"mode": "c"}, "w: key 'mode' must be one of a, b, got 'c'"),
    ({"ops": "x"}, "w: key 'ops' must be a list of operations, got str 'x'"),
    ({"ops": ["x", "z"]}, "w: key 'ops': 'z' is not an operation (x, y)"),
    ({"per_source": {"web": ["z"]}}, "w: key 'per_source.web': 'z' is not an operation (x, y)"),
    ({"sizes": [1, "2"]}, "w: key 'sizes[1]' must be an integer, got str '2' (write it unquoted)"),
    ({"folder": "nowhere"}, "w: key 'folder': folder /base/nowhere does not exist"),
    ({"inner": {"seed": -1}}, "w: inner: key 'seed' must be a non-negative integer, got -1"),
    ({"inner": {"sed": 1}}, "w: inner: key 'sed' is not a known key (did you mean 'seed'?)"),
    ({"on": None}, "w: key 'on' must be true or false, got null"),
    ([1], "w: expected a mapping, got list"),
])
def test_each_problem_is_one_line_naming_the_key_path(data, message):
    with pytest.raises(ConfigError) as err:
        parse(Outer, data, "w", base="/base")
    assert str(err.value) == message


def test_values_are_converted_and_null_containers_take_their_defaults(tmp_path):
    (tmp_path / "f").mkdir()
    got = Outer.from_dict({"ratio": 1, "ops": ["y"], "sizes": [3], "folder": "f",
                           "inner": None, "per_source": None, "share": None}, "w", str(tmp_path))
    assert got == Outer(ratio=1.0, ops=("y",), sizes=[3], folder=str(tmp_path / "f"))
    assert isinstance(got.ratio, float) and got.inner == Inner()
    assert Outer.from_dict(None, "w") == Outer()


def test_expectations_read_like_the_rule():
    assert expectation(int, {"ge": 1}) == "a positive integer"
    assert expectation(int, {"ge": 1, "le": 9}) == "an integer from 1 to 9"
    assert expectation(float, {"gt": 0, "lt": 1}) == "a number between 0 and 1 (exclusive)"
    assert expectation(float, {"ge": 0}) == "a non-negative number"
    assert expectation(int, {"ge": 16}) == "an integer of at least 16"
