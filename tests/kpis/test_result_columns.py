"""Query results as columns, and group keys as integer codes: the columns give back the
values a row fetch gives, and the codes find the same rows and fine groups, in the same
order, as sorting the key tuples does."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from callkpi.kpi.keys import Frame, KeyIndex
from callkpi.kpi.result_columns import column_array, columns_of_rows


def test_columns_give_back_the_fetched_values_and_types():
    rows = [("a", date(2026, 1, 5), 3, 1.5, None, Decimal("2.5")), (None, date(2026, 1, 6), 4, None, None, None)]
    columns = columns_of_rows(rows, 6)
    assert [column.tolist() for column in columns] == [
        ["a", None],
        [date(2026, 1, 5), date(2026, 1, 6)],
        [3, 4],
        [1.5, None],
        [None, None],
        [2.5, None],
    ]
    assert [type(value) for value in columns[2].tolist()] == [int, int]
    assert columns[4].dtype == np.int64  # a sum over nothing filled in is the integer 0
    assert [column.tolist() for column in columns_of_rows([], 2)] == [[], []]


def test_mixed_integers_and_floats_become_floats_and_anything_else_stays_as_is():
    assert column_array([1, 2.5]).tolist() == [1.0, 2.5]
    assert column_array([True, False]).tolist() == [True, False]


def _frame(keys: list[tuple], measure: list[int]) -> Frame:
    width = len(keys[0]) if keys else 0
    return Frame(columns_of_rows(keys, width), [column_array(measure)])


def test_report_rows_are_the_keys_of_every_query_sorted_none_last():
    plain = _frame([("b", 2), (None, 1), ("a", 2)], [1, 2, 3])
    other = _frame([("a", 1), ("b", 2)], [4, 5])
    fine = _frame([("c", 9, 15), ("a", 2, 0)], [6, 7])
    results = {("q", "d"): {"x": plain, "y": other}, ("q", "d", "i"): {"x": fine}}
    index = KeyIndex(results, ("q", "d"))
    keys = index.row_keys()
    assert keys == sorted({("b", 2), (None, 1), ("a", 2), ("a", 1), ("c", 9)}, key=lambda k: (k[0] is None, k))
    assert [keys[i] for i in index.row_positions("x").tolist()] == [("b", 2), (None, 1), ("a", 2)]
    assert [keys[i] for i in index.row_positions("y").tolist()] == [("a", 1), ("b", 2)]


def test_fine_groups_come_in_key_order_each_with_its_report_row():
    rng = random.Random(3)
    fine_keys = list({(rng.choice("abc"), rng.randrange(5), rng.randrange(96)) for _ in range(400)})
    first, second = fine_keys[:300], fine_keys[150:]
    results = {
        ("q",): {"x": _frame([(k,) for k in "abc"], [1, 2, 3])},
        ("q", "d", "i"): {"x": _frame(first, [0] * len(first)), "y": _frame(second, [0] * len(second))},
    }
    index = KeyIndex(results, ("q",))
    row_of, positions = index.fine_groups(("q", "d", "i"))
    ordered = sorted(set(fine_keys))
    assert [index.row_keys()[row] for row in row_of.tolist()] == [(key[0],) for key in ordered]
    assert [ordered[i] for i in positions["x"].tolist()] == first
    assert [ordered[i] for i in positions["y"].tolist()] == second


def test_dates_and_integers_as_numpy_hands_them_back_find_the_same_rows():
    days = np.array(["2026-01-06", "2026-01-05", "2026-03-01", "2026-01-05"], dtype="datetime64[D]")
    minutes = np.array([900, 15, 900, 1425], dtype=np.int32)
    far = np.array([10**12, 3, 3, -7])  # a range too wide to list: sorted instead
    index = KeyIndex(
        {("d", "m", "f"): {"x": Frame([days, minutes, far], [column_array([1, 2, 3, 4])])}}, ("d", "m", "f")
    )
    keys = list(zip(days.tolist(), minutes.tolist(), far.tolist(), strict=True))
    assert index.row_keys() == sorted(keys)
    assert type(index.row_keys()[0][0]) is date and type(index.row_keys()[0][1]) is int
    assert [index.row_keys()[i] for i in index.row_positions("x").tolist()] == keys


def test_a_report_without_dimensions_has_one_row():
    index = KeyIndex({(): {"x": _frame([], [5])}}, ())
    assert index.row_keys() == [()]
    assert index.row_positions("x").tolist() == [0]


@pytest.mark.parametrize(("dims", "dtype"), [(tuple("abc"), np.int64), (tuple("abcdefg"), object)])
def test_codes_too_many_to_list_still_sort_as_the_keys_do(dims, dtype):
    # ~3000 values each: 3000³ codes are too many to list; 3000⁷ do not fit in 64 bits
    numbers = np.random.default_rng(1).integers(0, 20000, (3000, len(dims))).tolist()
    keys = [tuple(f"{name}{value:05d}" for name, value in zip(dims, row, strict=True)) for row in numbers]
    frame = _frame(keys, [0] * len(keys))
    index = KeyIndex({dims: {"x": frame}, (*dims, "i"): {"x": _frame([(*key, 1) for key in keys], [0] * 3000)}}, dims)
    assert index.row_codes.dtype == dtype
    rows = index.row_keys()
    assert rows == sorted(set(keys))
    assert [rows[i] for i in index.row_positions("x").tolist()] == keys
    row_of, positions = index.fine_groups((*dims, "i"))
    assert [rows[row] for row in row_of[positions["x"]].tolist()] == keys
