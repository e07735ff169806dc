"""``@frozen``: the project's frozen data class, made at a fraction of the import cost.

A ``@frozen`` class (a record) is a ``@dataclass(frozen=True, slots=True, kw_only=True)``: the
same ``__init__``, immutability and slots, ``dataclasses.fields``/``replace``/``asdict``, pickling
and copying, and the same equality, hash and repr (honouring ``field(compare=..., hash=...,
repr=...)``). Only how it is made differs. Python 3.11 compiles source text for six methods of
every frozen dataclass when its module is imported (~0.4 ms a class); a scan imports ~95 of
them, which was a fifth of a cold one-file scan (issue 2). A record has ``dataclasses`` compile
only the three methods that must be specific to the class (``__init__``, ``__setattr__``,
``__delattr__``) and gets ``__eq__``, ``__hash__`` and ``__repr__`` as closures over one getter of
its field values, which cost nothing to create. ``tests/test_records.py`` holds every record of
the package to what ``@dataclass`` itself generates.

Two visible differences: ``__dataclass_params__.eq`` says False (the equality is ours, not the
generated one), and a class that defines its own ``__eq__`` or ``__hash__`` is refused (use
``@dataclass`` for it, as for other options: ``order``, ``eq=False``, mutable classes).
"""

from __future__ import annotations

import dataclasses
import reprlib
import sys
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

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
    for own in ("__eq__", "__hash__"):
        if own in cls.__dict__:
            raise TypeError(f"{cls.__qualname__} defines {own}: use @dataclass instead")
    made = dataclasses.dataclass(cls, frozen=True, slots=True, kw_only=True, eq=False, repr=False)
    fields = dataclasses.fields(cast("type[DataclassInstance]", made))
    compared = _values_of(tuple(f.name for f in fields if f.compare))
    hashed = _values_of(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple((f"{f.name}=", attrgetter(f.name)) for f in fields if f.repr)

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: object) -> int:
        return hash(hashed(self))

    @reprlib.recursive_repr()  # as dataclasses does: a record inside itself shows "..."
    def __repr__(self: object) -> str:
        inner = ", ".join(label + repr(get(self)) for label, get in shown)
        return f"{self.__class__.__qualname__}({inner})"

    methods: dict[str, object] = {"__eq__": __eq__, "__hash__": __hash__}
    if "__repr__" not in cls.__dict__:
        methods["__repr__"] = __repr__
    for name, method in methods.items():
        setattr(made, name, method)
    return made


def _values_of(names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """A function giving the values of ``names`` of an object, always as a tuple."""
    if not names:
        return lambda _: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)
