from fractions import Fraction

from llm_sizing.units import (BYTES_PER_GIB, bytes_to_gib, bytes_to_tib, ceil_div, display_round, exact,
                              floor_div, gb_to_bytes, gib_to_bytes)


def test_decimal_and_binary_units():
    assert gb_to_bytes(288) == 288_000_000_000          # vendor GB: 10^9 bytes
    assert gib_to_bytes(120) == 120 * 1_073_741_824     # GiB: 2^30 bytes
    assert bytes_to_gib(3 * 2**30) == 3.0
    assert bytes_to_tib(2**41) == 2.0


def test_exact_reads_the_decimal_a_user_meant():
    assert exact(0.7) == Fraction(7, 10)        # not 0.6999999999999999555910790149937...
    assert exact(1.2) == Fraction(6, 5)
    assert exact(120) == Fraction(120)


def test_ceil_and_floor_on_exact_rationals():
    # 100 x 1.1 = 110 exactly, so ceil(110 / 110) = 1; with floats 100 * 1.1 / 110 = 1.0000000000000002 -> 2
    assert ceil_div(100 * exact(1.1), 110) == 1
    assert ceil_div(1200, 613) == 2 and ceil_div(1227, 613) == 3
    assert floor_div(Fraction(1382037, 1000), Fraction(2252197, 1000000)) == 613  # 613.64 -> 613


def test_display_round_is_two_decimals():
    assert display_round(2.252197265625) == 2.25
    assert display_round(2.199411392211914) == 2.2
    assert display_round(None) is None
    assert BYTES_PER_GIB == 1024**3


def test_largest_holding_bisects_a_monotone_predicate():
    from llm_sizing.units import largest_holding

    assert largest_holding(1, 100, lambda n: n * n <= 50) == 7   # 7 x 7 = 49 <= 50 < 64
    assert largest_holding(1, 100, lambda n: True) == 100
    assert largest_holding(1, 100, lambda n: False) is None
