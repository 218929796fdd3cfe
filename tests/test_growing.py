"""Serving appends candidates one at a time (CV uploads): in amortised constant time, with the same result as
copying everything (gnn/growing.py, gnn/serving.py's `_Side.put` and `_ProfileClasses`), and without a new shape of
the bfloat16 product per upload (oneDNN keeps a compiled kernel per shape: docs/api.md, Load)."""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse

from api.memory import malloc_stats
from gnn.export import GEO_DIM
from gnn.growing import GrowingCsr, GrowingRows, stable_length
from gnn.serving import _ProfileClasses, _Side, remember
from ontology.eligibility import StatutoryProfile


def test_growing_rows_equal_concatenation_and_copy_only_when_full() -> None:
    rows = GrowingRows(torch.arange(6, dtype=torch.float32).reshape(3, 2))
    expected = rows.view.clone()
    moves = 0
    for i in range(100):
        before = rows.view.data_ptr()
        view = rows.append(torch.tensor([i, -i], dtype=torch.float32))
        moves += view.data_ptr() != before
        expected = torch.cat([expected, torch.tensor([[i, -i]], dtype=torch.float32)])
    assert torch.equal(rows.view, expected)
    assert moves <= 4  # 3 → 16 → 32 → 64 → 128: the rows held are copied at doublings only
    view = rows.view
    view[0] = 9.0  # a view shares the buffer's memory
    assert rows.view[0, 0] == 9.0
    numbers = GrowingRows(np.array([1.5]))
    assert numbers.append(2.5).tolist() == [1.5, 2.5]


def test_growing_csr_equals_vstack() -> None:
    rng = np.random.default_rng(0)
    initial = sparse.random(50, 30, density=0.1, format="csr", random_state=1)
    growing, expected = GrowingCsr(initial), initial.copy()
    for _ in range(40):
        columns = rng.choice(30, size=rng.integers(0, 5), replace=False)
        values = rng.uniform(1, 2, len(columns))
        matrix = growing.append(columns, values)
        row = sparse.csr_matrix((values, (np.zeros(len(columns), dtype=int), columns)), shape=(1, 30))
        expected = sparse.vstack([expected, row], format="csr")
    assert matrix.shape == expected.shape == (90, 30)
    assert (matrix != expected).nnz == 0
    assert matrix[60].nnz == expected[60].nnz and np.allclose(matrix[:, 3].toarray(), expected[:, 3].toarray())


def test_appended_candidate_joins_the_approximate_parts_without_a_rebuild() -> None:
    rng = np.random.default_rng(3)
    dense = 32
    matrix = np.zeros((500, dense + GEO_DIM), dtype=np.float32)
    matrix[:, :dense] = rng.standard_normal((500, dense))
    matrix[np.arange(500), dense + rng.integers(0, GEO_DIM, 500)] = 1.5
    side = _Side([f"c{i}" for i in range(500)], torch.from_numpy(matrix.copy()))
    query = torch.from_numpy(matrix[7])
    side.top_rows(query, 5, approximate=True)
    built = side.approximate
    assert built is not None
    for i in range(30):
        vector = torch.from_numpy(matrix[7] * (2 + i))
        side.put(f"new{i}", vector)
    parts = side.approximate
    assert parts is not None and parts.rows[0] is built.rows[0]  # appended to, not rebuilt
    assert parts.half.shape[0] == side.matrix.shape[0] == len(side.ids) == 530
    rows, scores = side.top_rows(query, 3, approximate=True)
    assert [side.ids[r] for r in rows] == ["new29", "new28", "new27"]
    exact = side.matrix.numpy() @ query.numpy()
    assert np.allclose(scores, exact[rows], rtol=0.02)
    side.put("odd", torch.ones(dense + GEO_DIM))  # two non-zeros in the location block: the parts are dropped
    assert side.approximate is None
    assert side.top(query, 1, approximate=True)[0][0] == "new29"  # and rebuilt on use, in another form


def test_profile_classes_follow_appends_and_marked_rows() -> None:
    a, b = StatutoryProfile(status="titulaire"), StatutoryProfile(status="contractuel")
    profiles = {"c0": a, "c1": b, "c2": a}
    ids = ["c0", "c1", "c2"]
    classes = _ProfileClasses()
    got, distinct = classes.of(profiles, ids)
    assert [distinct[c] for c in got] == [a, b, a]
    ids.append("c3")  # a candidate uploaded with no profile yet: no class
    assert classes.of(profiles, ids)[0].tolist()[-1] == -1
    profiles["c3"] = b  # its profile read, its row marked: classified
    classes.mark([3])
    got, distinct = classes.of(profiles, ids)
    assert distinct[got[3]] == b
    ids[0] = ""  # erased: a hole has no class
    classes.mark([0])
    assert classes.of(profiles, ids)[0].tolist()[0] == -1
    fresh = dict(profiles)  # profiles read anew: every row classified again
    fresh["c1"] = a
    got, distinct = classes.of(fresh, ids)
    assert [distinct[c] if c >= 0 else None for c in got] == [None, a, a, b]


def test_stable_lengths_are_few_and_close_above() -> None:
    lengths = {stable_length(n) for n in range(5_000, 1_000_001)}
    assert len(lengths) <= 64  # 8 per doubling, about 7.6 doublings
    for n in (1, 16, 17, 999, 5_000, 5_001, 65_536, 65_537, 123_457):
        assert n <= stable_length(n) <= max(16, n + n // 8)
    rows = GrowingRows(torch.ones(100, 3))
    padded = rows.padded(stable_length(100))
    assert padded.shape == (104, 3) and padded[100:].abs().sum() == 0  # the rows, then zeros
    assert rows.append(torch.full((3,), 2.0)).data_ptr() == padded.data_ptr()  # the same buffer: no copy
    assert padded[100].tolist() == [2.0, 2.0, 2.0]


def _uploads_and_rankings(side: _Side, query: torch.Tensor, uploads: int) -> set[int]:
    """Each upload followed by a ranking, as the API's mixed traffic does: the lengths the product ran over."""
    rng = np.random.default_rng(5)
    shapes = set()
    for i in range(uploads):
        side.put(f"up{i}", torch.from_numpy(rng.standard_normal(side.matrix.shape[1]).astype(np.float32)))
        side.top_rows(query, 10, approximate=True)
        assert side.approximate is not None
        shapes.add(side.approximate.padded.shape[0])
    return shapes


def test_uploads_do_not_give_the_approximate_product_a_new_shape_each() -> None:
    rng = np.random.default_rng(4)
    matrix = torch.from_numpy(rng.standard_normal((5_000, 64)).astype(np.float32))
    side = _Side([f"c{i}" for i in range(5_000)], matrix.clone())
    query = matrix[11].clone()
    side.top_rows(query, 10, approximate=True)
    shapes = _uploads_and_rankings(side, query, 600)
    assert len(shapes) <= 2  # 5,120 then 5,632 rows; one per upload before
    rows, scores = side.top_rows(query, 5, approximate=True)
    assert side.ids[rows[0]] == "c11"
    exact = side.matrix.numpy() @ query.numpy()
    assert np.allclose(scores, exact[rows], rtol=0.02, atol=0.05)  # the padding's rows never come back


def test_uploads_between_rankings_keep_native_memory_flat() -> None:
    """Measured, not mocked: glibc's bytes in use after 400 uploads each followed by a ranking. With a product
    over one more row per upload, oneDNN kept about 0.6 MB per shape (240 MB here)."""
    before = malloc_stats()
    if not before:  # not glibc: nothing to measure with
        return
    matrix = torch.randn(5_000, 160)
    side = _Side([f"c{i}" for i in range(5_000)], matrix.clone())
    query = matrix[3].clone()
    side.top_rows(query, 10, approximate=True)
    _uploads_and_rankings(side, query, 50)  # the first shapes' kernels, and the buffers' first doubling
    warm = malloc_stats()["in_use"]
    _uploads_and_rankings(side, query, 400)
    assert malloc_stats()["in_use"] - warm < 40  # MB: the 400 new rows and one more padded length at most


def test_offer_facts_cache_stays_bounded_while_offers_keep_coming() -> None:
    """The new offers' pair facts (gnn/serving.py) are kept per offer id: a loader writing 25,000 offers that are
    each ranked once must not leave 25,000 entries behind."""
    cache: dict[str, int] = {}
    for i in range(25_000):
        remember(cache, f"loader-o{i}", i, 10_000)
        assert len(cache) <= 10_000
    assert cache["loader-o24999"] == 24_999
    remember(cache, "loader-o24999", -1, len(cache))  # a key held is replaced, never a reason to start again
    assert len(cache) == 5_000 and cache["loader-o24999"] == -1
