"""Units, converted in one place. Names carry the unit: `_gb` is decimal (10^9 bytes),
`_gib` binary (2^30), `_tib` binary (2^40).

Exact arithmetic: user-given decimal inputs (ratios, GiB overheads) are turned into
`Fraction`s from their decimal text, so `floor` and `ceil` on derived quantities never flip
on a float rounding error (e.g. 100 x 1.1 / 110 is exactly 1, not 1.0000000000000002).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Optional, Union

BYTES_PER_GB = 10**9
BYTES_PER_GIB = 2**30
BYTES_PER_TIB = 2**40

#: bytes per element of the KV cache, by precision name
KV_PRECISION_BYTES: dict[str, int] = {"fp8": 1, "fp16": 2, "bf16": 2, "fp32": 4}

Number = Union[int, float, Fraction]


def exact(value: Number) -> Fraction:
    """The exact rational a user meant by a decimal number: 0.7 -> 7/10, not the float's binary value."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def gb_to_bytes(gb: Number) -> Fraction:
    return exact(gb) * BYTES_PER_GB


def gib_to_bytes(gib: Number) -> Fraction:
    return exact(gib) * BYTES_PER_GIB


def bytes_to_gib(n_bytes: Number) -> float:
    return float(Fraction(n_bytes) / BYTES_PER_GIB)


def bytes_to_tib(n_bytes: Number) -> float:
    return float(Fraction(n_bytes) / BYTES_PER_TIB)


def ceil_div(numerator: Number, denominator: Number) -> int:
    """ceil(a / b) on exact rationals; b > 0."""
    return -((-Fraction(numerator)) // Fraction(denominator))


def floor_div(numerator: Number, denominator: Number) -> int:
    """floor(a / b) on exact rationals; b > 0."""
    return Fraction(numerator) // Fraction(denominator)


def largest_holding(low: int, high: int, holds) -> Optional[int]:
    """The largest n in [low, high] with holds(n), for a `holds` that is true up to some n and false
    after it (bisection); None when holds(low) is false."""
    if not holds(low):
        return None
    while low < high:  # invariant: holds(low)
        middle = (low + high + 1) // 2
        if holds(middle):
            low = middle
        else:
            high = middle - 1
    return low


def display_round(value: float | None, digits: int = 2) -> float | None:
    """The card's display rounding: two decimals (2.252 -> 2.25, 2.199 -> 2.2)."""
    return None if value is None else round(value, digits)
