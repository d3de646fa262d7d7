"""The open-inquiry table: columns are views of buffers with room to spare."""

import copy
import pickle

import numpy as np
import pytest

from simulation.core.state import INQUIRY_COLUMNS, InquiryTable


def rows(start: int, count: int) -> dict[str, np.ndarray]:
    """``count`` rows whose every column holds its row number (from ``start``), cast to the column's type."""
    values = np.arange(start, start + count)
    return {
        name: (values % 2 == 1 if dtype is np.bool_ else values.astype(dtype))
        for name, dtype in INQUIRY_COLUMNS.items()
    }


def test_appends_past_the_capacity_keep_every_row_in_order():
    table = InquiryTable(capacity=4)
    for start in range(0, 30, 3):
        table.append(rows(start, 3))
    assert len(table) == 30
    np.testing.assert_array_equal(table["customer"], np.arange(30))
    assert table["t_raise"].dtype == np.float64 and table["kind"].dtype == np.int8


def test_writes_through_a_column_stick_and_take_compacts():
    table = InquiryTable(capacity=2)
    table.append(rows(0, 5))
    table["t_start"][[1, 3]] = -1.0  # a kernel writing in place
    removed = table.take(np.array([True, False, True, False, True]))
    np.testing.assert_array_equal(removed["customer"], [1, 3])
    np.testing.assert_array_equal(removed["t_start"], [-1.0, -1.0])
    np.testing.assert_array_equal(table["customer"], [0, 2, 4])
    table.append(rows(10, 2))
    np.testing.assert_array_equal(table["customer"], [0, 2, 4, 10, 11])


def test_append_new_sets_the_fresh_state_and_checks_the_schema():
    table = InquiryTable()
    fresh = ("t_start", "t_end", "off_duty_h", "resolved", "irate", "ignored")
    given = {k: v for k, v in rows(0, 2).items() if k not in fresh and not k.startswith("done_")}
    table.append_new(given)
    assert np.isinf(table["t_start"]).all() and not table["done_answer"].any()
    assert np.isnan(table["off_duty_h"]).all()  # known when service starts
    with pytest.raises(KeyError, match="schema"):
        table.append_new({**given, "colour": np.zeros(2)})
    with pytest.raises(KeyError, match="schema"):
        table.append({"customer": np.zeros(1)})


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))])
def test_a_copy_is_independent_and_its_columns_still_write_through(clone):
    table = InquiryTable(capacity=3)
    table.append(rows(0, 3))
    twin = clone(table)
    twin["t_end"][0] = 99.0
    twin.append(rows(3, 4))  # grows the copy's buffers: the write above must survive
    assert twin["t_end"][0] == 99.0 and table["t_end"][0] == 0.0
    assert len(twin) == 7 and len(table) == 3
