"""Cross-products Za'W Zb at weights that change, by an index plan made once.

Penalized IRLS (`glmm.py`) refactorises A = Lambda' Z'WZ Lambda + I at new IRLS weights W at
every step.  The sparsity pattern of Z'WZ never changes, only its values, and each value is a
weighted sum over rows,

    (Za'W Zb)[a, b] = sum_i w_i Za[i, a] Zb[i, b].

A :class:`CrossProduct` lists once, for every pair of non-zeros that share a row of Za and Zb,
the row, the product Za[i, a] Zb[i, b] and the entry of the result it adds to.  The values at
new weights are then one ``bincount``, with no sparse-matrix arithmetic: on models with a few
hundred rows, the fixed cost of each SciPy sparse product, not the arithmetic, was most of the
time of a PIRLS step.
"""
import numpy as np
from scipy import sparse


class CrossProduct:
    """Za'W Zb for any weights w, from the pattern of two sparse n-row matrices.

    Parameters
    ----------
    Za, Zb : scipy.sparse matrix
        n x qa and n x qb.

    Examples
    --------
    >>> Z = sparse.csr_matrix(np.array([[1.0, 0.0], [1.0, 2.0], [0.0, 3.0]]))
    >>> w = np.array([1.0, 0.5, 2.0])
    >>> product = CrossProduct(Z, Z)
    >>> product.dense(product.values(w)).tolist()
    [[1.5, 1.0], [1.0, 20.0]]
    >>> (Z.T @ sparse.diags(w) @ Z).toarray().tolist()
    [[1.5, 1.0], [1.0, 20.0]]
    >>> product.transpose_times(product.values(w), np.array([1.0, -1.0])).tolist()
    [0.5, -19.0]
    """

    def __init__(self, Za, Zb):
        Za, Zb = sparse.csr_matrix(Za), sparse.csr_matrix(Zb)
        Za.sort_indices()
        Zb.sort_indices()
        self.shape = (Za.shape[1], Zb.shape[1])
        la, lb = np.diff(Za.indptr), np.diff(Zb.indptr)
        counts = la * lb
        row = np.repeat(np.arange(Za.shape[0]), counts)
        t = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        first = Za.indptr[row] + t // np.maximum(lb[row], 1)
        second = Zb.indptr[row] + t % np.maximum(lb[row], 1)
        keys = Za.indices[first].astype(np.int64) * self.shape[1] + Zb.indices[second]
        self.keys, self.position = np.unique(keys, return_inverse=True)  # row-major order
        self.row, self.product = row, Za.data[first] * Zb.data[second]
        self.rows, self.cols = np.divmod(self.keys, self.shape[1])
        self.indptr = np.searchsorted(self.rows, np.arange(self.shape[0] + 1))
        # One CSR matrix for the product and one for its transpose, built once; times() and
        # transpose_times() only overwrite their values.
        self._csr = self.matrix(np.zeros(self.nnz))
        self._order = np.lexsort((self.rows, self.cols))  # column-major: the transpose's CSR
        self._csr_t = sparse.csr_matrix(
            (np.zeros(self.nnz), self.rows[self._order],
             np.searchsorted(self.cols[self._order], np.arange(self.shape[1] + 1))),
            shape=self.shape[::-1])

    @property
    def nnz(self):
        return len(self.keys)

    def values(self, w):
        """The stored entries of Za'W Zb, in row-major (CSR) order."""
        return np.bincount(self.position, w[self.row] * self.product, self.nnz)

    def matrix(self, values):
        """Za'W Zb as a CSR matrix (sorted indices), from its :meth:`values`."""
        return sparse.csr_matrix((values, self.cols, self.indptr), shape=self.shape)

    def times(self, values, x):
        """(Za'W Zb) x, from the :meth:`values`."""
        self._csr.data[:] = values
        return self._csr @ x

    def transpose_times(self, values, y):
        """(Za'W Zb)' y, from the :meth:`values`."""
        self._csr_t.data[:] = values[self._order]
        return self._csr_t @ y

    def dense(self, values):
        """Za'W Zb as a dense array, from its :meth:`values`."""
        out = np.zeros(self.shape[0] * self.shape[1])
        out[self.keys] = values
        return out.reshape(self.shape)
