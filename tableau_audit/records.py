"""``@frozen``: the project's frozen data class, made at a fraction of the import cost.

A ``@frozen`` class (a record) *is* a ``@dataclass(frozen=True, slots=True, kw_only=True)``:
the same ``__init__``, immutability and slots, ``dataclasses.fields``/``replace``/``asdict``,
and the same equality, hash and repr (honouring ``field(compare=..., hash=..., repr=...)``).
Only how it is made differs. Python 3.11 compiles source text for six methods of every frozen
dataclass when its module is imported (~0.4 ms a class); a scan imports ~95 of them, which was
a fifth of a cold one-file scan (issue 2). A record has ``dataclasses`` compile only the three
methods that must be specific to the class (``__init__``, ``__setattr__``, ``__delattr__``)
and gets ``__eq__``, ``__hash__`` and ``__repr__`` as closures over one getter of its field
values, which cost nothing to create. ``tests/test_records.py`` holds every record of the
package to what ``@dataclass`` itself generates.

Classes that need other options (``order``, ``eq=False``, mutable) use ``@dataclass``.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

__all__ = ["frozen"]

T = TypeVar("T")

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - the marker only tells type checkers what @frozen makes

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        return lambda decorator: decorator


@dataclass_transform(
    frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field,)
)
def frozen(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen, slotted, keyword-only dataclass (see the module docstring)."""
    for method in ("__eq__", "__hash__"):
        if method in cls.__dict__:
            raise TypeError(f"{cls.__qualname__} defines {method}: use @dataclass instead")
    made: Any = dataclasses.dataclass(
        cls, frozen=True, slots=True, kw_only=True, eq=False, repr=False
    )
    fields = dataclasses.fields(made)
    compared = _values_of(tuple(f.name for f in fields if f.compare))
    hashed = _values_of(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple((f"{f.name}=", attrgetter(f.name)) for f in fields if f.repr)

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: object) -> int:
        return hash(hashed(self))

    def __repr__(self: object) -> str:
        inner = ", ".join(label + repr(get(self)) for label, get in shown)
        return f"{self.__class__.__qualname__}({inner})"

    made.__eq__ = __eq__
    made.__hash__ = __hash__
    if "__repr__" not in cls.__dict__:
        made.__repr__ = __repr__
    return made  # type: ignore[no-any-return]


def _values_of(names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """A function giving the values of ``names`` of an object, always as a tuple."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)
