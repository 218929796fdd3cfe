"""Arrays that grow by rows in amortised constant time, for what serving appends one node at a time.

Appending a row with `torch.cat`, `np.append` or `sparse.vstack` copies everything held: at 1,000,000 candidates
× 320 columns that is 1.3 GB copied per CV uploaded, and under steady uploads the freed copies fragment the
allocator's heap, so the process's resident memory keeps growing (docs/api.md, Load). Here a buffer keeps spare
rows and doubles when full, as a Python list does; what the rest of the code reads is a view of its used rows,
which shares the buffer's memory, so writing a row of the view writes the buffer.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import numpy as np
import torch
from scipy import sparse

Rows = TypeVar("Rows", np.ndarray, torch.Tensor)
MIN_CAPACITY = 16


def stable_length(rows: int, per_doubling: int = 8) -> int:
    """`rows` rounded up to one of `per_doubling` lengths between two powers of two (at most 1/`per_doubling`
    more). oneDNN, which runs torch's bfloat16 products on the CPU, compiles and keeps a kernel per shape: a product
    over a matrix one row longer after every CV uploaded kept about 0.6 MB more per upload, for good (docs/api.md,
    Load). Padded to these lengths, a matrix growing from 5,000 to 1,000,000 rows meets about 60 shapes."""
    if rows <= MIN_CAPACITY:
        return MIN_CAPACITY
    step = 1 << max(0, rows.bit_length() - 1 - (per_doubling.bit_length() - 1))
    return -(-rows // step) * step


class GrowingRows(Generic[Rows]):
    """A NumPy array or a torch tensor whose first axis grows by `append`; `view` is the rows appended so far.
    Rows past them (spare capacity) are zeros until appended."""

    def __init__(self, initial: Rows) -> None:
        self._buffer: Rows = initial
        self._used = len(initial)

    @property
    def view(self) -> Rows:
        return self._buffer[: self._used]

    def padded(self, length: int) -> Rows:
        """The first `length` rows of the buffer (at least the used ones): the rows appended, then zeros; the
        buffer grows first when it is shorter. Callers that must not resize shared state call it on the writing
        side (it may replace the buffer)."""
        if length > len(self._buffer):
            self._grow(length)
        return self._buffer[: max(length, self._used)]

    def append(self, row: Rows | float | int) -> Rows:
        """Append one row and return the new view (the same memory as the buffer's, no copy of the rows held)."""
        if self._used == len(self._buffer):
            self._grow(max(MIN_CAPACITY, 2 * self._used))
        self._buffer[self._used] = row
        self._used += 1
        return self.view

    def _grow(self, capacity: int) -> None:
        shape = (capacity, *self._buffer.shape[1:])
        if isinstance(self._buffer, torch.Tensor):
            bigger = self._buffer.new_zeros(shape)
        else:
            bigger = np.zeros(shape, dtype=self._buffer.dtype)
        bigger[: self._used] = self._buffer[: self._used]
        self._buffer = bigger


class GrowingCsr:
    """A CSR matrix that grows by rows: its `data`, `indices` and `indptr` grow as `GrowingRows`, and `matrix`
    is a CSR over their used parts (built without copying them)."""

    def __init__(self, initial: sparse.csr_matrix) -> None:
        initial = sparse.csr_matrix(initial)
        initial.sum_duplicates()
        self.width = initial.shape[1]
        self._data = GrowingRows(np.asarray(initial.data))
        self._indices = GrowingRows(np.asarray(initial.indices))
        self._indptr = GrowingRows(np.asarray(initial.indptr))
        self.matrix = initial

    def append(self, columns: np.ndarray, values: np.ndarray) -> sparse.csr_matrix:
        """Append one row with these non-zero `columns` (distinct, below the width) and `values`."""
        order = np.argsort(columns, kind="stable")  # canonical CSR: sorted column indices within a row
        for column, value in zip(columns[order].tolist(), values[order].tolist(), strict=True):
            self._indices.append(column)
            self._data.append(value)
        self._indptr.append(len(self._data.view))
        rows = len(self._indptr.view) - 1
        self.matrix = sparse.csr_matrix(
            (self._data.view, self._indices.view, self._indptr.view), shape=(rows, self.width), copy=False
        )
        self.matrix.has_sorted_indices = True
        return self.matrix
