"""The deviance core: the profiled (RE)ML deviance of a linear mixed model as a function of theta.

Takes the :class:`~mlmcourse.models.design.Design` from `design.py` and gives `optimize.py` a
function of theta to minimise; nothing here knows about formulas or result tables.

This is lme4's formulation (Bates, Maechler, Bolker and Walker 2015, sections 3.2-3.4).  The
random effects are b = Lambda_theta u with u ~ N(0, sigma^2 I), Lambda_theta block-diagonal with
one k x k lower-triangular template per grouping factor, repeated for each of its levels.  With
prior weights W, the penalized least-squares system for (u, beta) has the matrix

    A(theta) = Lambda' Z'WZ Lambda + I = L L',

and everything the deviance needs comes from the cross-products Z'WZ, Z'W[X y] and [X y]'W[X y],
computed once; an evaluation never touches the n rows again, so it costs the same for 10^3 rows
as for 10^6.

A is factorised by blocks.  The block of the first factor (the one with most columns of Z) is
block-diagonal, B = Lambda_1' Z_1'WZ_1 Lambda_1 + I with one k x k block per level, so it is
eliminated exactly with batched dense Cholesky factors; everything the rest needs from it is
E = Lambda_1 B^{-1} Lambda_1', again one k x k block per level.  What remains is the Schur
complement on the other factors (crossed or nested ones),

    S = Lambda_R' (Z_R'WZ_R - P' E P) Lambda_R + I,    P = Z_1'WZ_R,

factorised dense when it is small and with SciPy's sparse LU (SuperLU, symmetric mode)
otherwise.  ``path="sparse"`` skips the elimination and factorises the whole of A with
SuperLU: the same deviance by a different route, kept so that the tests can check one against
the other.
"""
import copy

import numpy as np
from scipy import linalg, sparse
from scipy.sparse import linalg as splinalg

DENSE_LIMIT = 4000  # a Schur complement with more rows than this is factorised sparse
PLAN_LIMIT = 30_000_000  # most products kept to form P'EP by one bincount
QUADRATIC_LIMIT = 20_000_000  # most products kept to form the first factor's z'Ez by one matmul


class ProfiledDeviance:
    """-2 times the profiled (restricted) log-likelihood, and the solution at any theta.

    Parameters
    ----------
    design : Design
        From :func:`~mlmcourse.models.design.build_design`.
    reml : bool
        Restricted (REML) criterion when true.
    path : {"blocked", "sparse"}
        Eliminate the first factor exactly (default), or factorise all of A sparse.
    dense_limit : int
        Largest Schur complement factorised dense.

    Examples
    --------
    >>> import mlmcourse, patsy
    >>> from mlmcourse.models.design import build_design
    >>> from mlmcourse.models.formula import parse_formula
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> design, _ = build_design(parse_formula("Reaction ~ Days + (1 | Subject)"), sleep,
    ...                          patsy.EvalEnvironment.capture())
    >>> round(ProfiledDeviance(design, reml=True)([1.0]), 3)
    1787.399
    """

    def __init__(self, design, reml, *, path="blocked", dense_limit=DENSE_LIMIT):
        if path not in ("blocked", "sparse"):
            raise ValueError(f"path must be 'blocked' or 'sparse', not {path!r}")
        self.design, self.reml, self.dense_limit = design, bool(reml), dense_limit
        self.n_theta = design.n_theta
        sw = np.sqrt(design.weights)
        X = design.X.to_numpy(float)
        self.n, self.p = X.shape
        Xy = np.column_stack([X, design.y.to_numpy(float) - design.offset]) * sw[:, None]
        self.XytXy = Xy.T @ Xy
        self.log_weights = float(np.log(design.weights).sum())
        factors = design.factors
        self.first = factors[0] if path == "blocked" else None
        self.rest = factors[1:] if path == "blocked" else factors
        if self.first is not None:
            ZtZ1, self.ZtXy1 = _level_blocks(self.first, sw, Xy)
            k = self.first.k  # Z_1'WZ_1 entry by entry, each a row of levels
            self.ZtZ1_entries = [[ZtZ1[None, :, a, b].copy() for b in range(k)] for a in range(k)]
            small = self.ZtXy1.size * k * (self.p + 1) <= QUADRATIC_LIMIT
            self._zz = _outer_products(self.ZtXy1) if small else None
        if self.rest:
            Z_rest = sparse.hstack([f.z_matrix(sw) for f in self.rest], format="csc")
            self.Z_rest = Z_rest
            self.ZtZ_RR = (Z_rest.T @ Z_rest).tocsr()
            self.ZtXy_R = Z_rest.T @ Xy
            self.q_rest = Z_rest.shape[1]
            self._lambda_pattern = _lambda_pattern(self.rest)
            self.dense_rest = self.q_rest <= dense_limit
            self.scalar_rest = all(f.k == 1 for f in self.rest)
            self._plan = None
            if self.first is not None:
                self.ZtZ_1R = (self.first.z_matrix(sw).T @ Z_rest).tocsr()
                self.ZtZ_R1 = self.ZtZ_1R.T.tocsr()
                if self.dense_rest:
                    self._plan = _sandwich_plan(self.ZtZ_1R, self.first.k, self.q_rest)
            if self.dense_rest:
                self.ZtZ_RR = self.ZtZ_RR.toarray()

    def with_response(self, design):
        """The same core for `design`, which differs from this one's in y alone.

        Only the cross-products with y are recomputed (a bootstrap replicate's refit).
        """
        new = copy.copy(self)
        new.design = design
        sw = np.sqrt(design.weights)
        r = (design.y.to_numpy(float) - design.offset) * sw
        p = self.p
        new.XytXy = self.XytXy.copy()
        new.XytXy[:p, p] = new.XytXy[p, :p] = (design.X.to_numpy(float) * sw[:, None]).T @ r
        new.XytXy[p, p] = r @ r
        if self.first is not None:
            new.ZtXy1 = self.ZtXy1.copy()
            V = self.first.values * sw[:, None]
            G = len(self.first.levels)
            for a in range(self.first.k):
                new.ZtXy1[:, a, p] = np.bincount(self.first.codes, V[:, a] * r, G)
            if self._zz is not None:  # the outer products hold y too
                new._zz = _outer_products(new.ZtXy1)
        if self.rest:
            new.ZtXy_R = np.array(self.ZtXy_R, copy=True)
            new.ZtXy_R[:, p] = self.Z_rest.T @ r
        return new

    # -- the deviance -----------------------------------------------------------
    def __call__(self, theta):
        """The deviance at `theta`; infinite where A or X'V^{-1}X is not positive definite."""
        try:
            state = self.factorize(theta)
        except (np.linalg.LinAlgError, linalg.LinAlgError, RuntimeError, ValueError):
            return np.inf
        return state["deviance"]

    def many(self, thetas):
        """The deviance at each row of `thetas`, in one batch when there is one factor."""
        thetas = np.atleast_2d(np.asarray(thetas, float))
        if self.rest or self.first is None:
            return np.array([self(t) for t in thetas])
        with np.errstate(all="ignore"):
            try:
                return self._many_one_factor(thetas)
            except np.linalg.LinAlgError:  # one bad row: evaluate them one by one
                return np.array([self(t) for t in thetas])

    def _many_one_factor(self, thetas):
        f, p = self.first, self.p
        L = np.zeros((len(thetas), f.k, f.k))
        L[:, f.tril[0], f.tril[1]] = thetas
        logdet, E = self._first_pieces(L)
        M = self.XytXy - self._quadratic(E)
        xvx, xvy = M[:, :p, :p], M[:, :p, p]
        beta = np.linalg.solve(xvx, xvy[..., None])[..., 0] if p else np.zeros((len(M), 0))
        pwrss = M[:, p, p] - np.einsum("mi,mi->m", xvy, beta)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = self._formula(logdet, xvx, pwrss)
        return np.where(np.isfinite(values) & (pwrss > 0), values, np.inf)

    def factorize(self, theta):
        """Factorise A(theta) and solve for beta; a dict with everything the result needs."""
        pieces = self.design.split_theta(theta)
        state = {"theta": np.asarray(theta, float), "logdet": 0.0}
        M = self.XytXy.copy()
        if self.first is not None:
            M -= self._eliminate_first(pieces[0], state)
        if self.rest:
            M -= self._schur(pieces[-len(self.rest):], state)
        p = self.p
        xvx, xvy = M[:p, :p], M[:p, p]
        beta = np.linalg.solve(xvx, xvy) if p else np.zeros(0)
        pwrss = M[p, p] - xvy @ beta
        if not pwrss > 0:
            raise ValueError("penalized residual sum of squares is not positive")
        state.update(beta=beta, xvx=xvx, pwrss=pwrss)
        state["deviance"] = self._criterion(state["logdet"], xvx, pwrss)
        return state

    def _criterion(self, logdet, xvx, pwrss):
        """The deviance of one evaluation (:meth:`_formula`), an error if it is not finite."""
        value = self._formula(logdet, xvx, pwrss)
        if not np.isfinite(value):
            raise ValueError("deviance is not finite")
        return float(value)

    def _formula(self, logdet, xvx, pwrss):
        """lme4's lmerResp::Laplace: the ML or REML deviance from log|L|^2, X'V^{-1}X (for
        REML's log|R_X|^2) and the penalized residual sum of squares; for one evaluation, or
        elementwise for many (xvx stacked)."""
        m = self.n - self.p if self.reml else self.n
        value = logdet - self.log_weights + m * (1 + np.log(2 * np.pi * pwrss / m))
        if self.reml and self.p:
            value = value + np.linalg.slogdet(xvx)[1]
        return value

    def _eliminate_first(self, theta, state):
        """The first factor's block-diagonal part; returns its share of [X y]' V^{-1} [X y]."""
        L = self.first.template(theta)
        logdet, E = self._first_pieces(L[None])
        if not np.isfinite(logdet[0]):
            raise np.linalg.LinAlgError("B is not positive definite")
        E_levels = np.moveaxis(E[:, :, 0], 2, 0)  # (levels, k, k)
        state.update(L1=L, E=E_levels, EZ=E_levels @ self.ZtXy1)
        state["logdet"] += logdet[0]
        return self._quadratic(E)[0]

    def _first_pieces(self, L):
        """log|B| and E = Lambda_1 B^{-1} Lambda_1' for each template in L (m, k, k).

        Everything is unrolled over the k x k entries and vectorised over the levels (and the
        m templates): numpy's stacked matmul and inverse are slow on many tiny matrices.
        E has the layout (k, k, m, levels); log|B| is NaN where B is not positive
        definite.
        """
        k, A = L.shape[1], self.ZtZ1_entries
        Lc = [[L[:, a, b][:, None] for b in range(k)] for a in range(k)]
        AL = [[sum(A[c][d] * Lc[d][b] for d in range(k)) for b in range(k)] for c in range(k)]
        B = [[sum(Lc[c][a] * AL[c][b] for c in range(k)) + (a == b) for b in range(k)]
             for a in range(k)]
        logdet, B_inv = _spd_logdet_inverse(B)
        LB = [[sum(Lc[a][c] * B_inv[c][d] for c in range(k)) for d in range(k)] for a in range(k)]
        E = np.array([[sum(LB[a][d] * Lc[b][d] for d in range(k)) for b in range(k)]
                      for a in range(k)])
        return logdet, E

    def _quadratic(self, E):
        """sum over levels of z' E z, z = Z_1'W[X y] per level: (m, p + 1, p + 1)."""
        k, z = E.shape[0], self.ZtXy1
        if self._zz is not None:  # one product with the outer products formed once
            m, r = E.shape[2], self.p + 1
            flat = np.moveaxis(E.reshape(k * k, m, -1), 1, 0).reshape(m, -1)
            return (flat @ self._zz).reshape(m, r, r)
        out = 0.0
        for a in range(k):
            for b in range(k):
                out = out + np.swapaxes(z[:, a, :], 0, 1)[None] @ (E[a, b][:, :, None] * z[:, b, :])
        return out

    def _schur(self, thetas, state):
        """The other factors: their Schur complement S, factorised; returns r' S^{-1} r."""
        lam = self._lambda_rest(thetas)
        M, rhs = self.ZtZ_RR, self.ZtXy_R
        if self.first is not None:
            M = M - self._pep(state["E"])
            rhs = rhs - self.ZtZ_R1 @ state["EZ"].reshape(-1, rhs.shape[1])
        if self.dense_rest and self.scalar_rest:  # Lambda_R is diagonal
            scale = lam.diagonal()
            S = M * np.outer(scale, scale) + np.eye(self.q_rest)
            r = rhs * scale[:, None]
        elif self.dense_rest:
            S = lam.T @ (lam.T @ M).T + np.eye(self.q_rest)
            r = lam.T @ rhs
        else:
            S = lam.T @ M @ lam + sparse.identity(self.q_rest, format="csr")
            r = lam.T @ rhs
        solver = _Solver(S)
        state.update(lam_rest=lam, rhs_rest=r, solver=solver)
        state["logdet"] += solver.logdet
        return r.T @ solver.solve(r)

    def _pep(self, E):
        """P' E P with P = Z_1'WZ_R and E block-diagonal: dense by one bincount, or sparse."""
        if self._plan is not None:
            target, block, product = self._plan
            values = np.bincount(target, E.ravel()[block] * product, self.q_rest ** 2)
            return values.reshape(self.q_rest, self.q_rest)
        out = self.ZtZ_R1 @ (_block_diagonal(E) @ self.ZtZ_1R)
        return out.toarray() if self.dense_rest else out

    def _lambda_rest(self, thetas):
        rows, cols = self._lambda_pattern
        data = np.concatenate([np.tile(f.template(t)[f.tril], len(f.levels))
                               for f, t in zip(self.rest, thetas)])
        return sparse.csr_matrix((data, (rows, cols)), shape=(self.q_rest, self.q_rest))

    # -- the solution at the optimum -------------------------------------------------
    def modes(self, state):
        """Conditional modes b = Lambda u, one (levels x k) array per factor, `factors` order."""
        p, beta = self.p, state["beta"]
        out = []
        b_rest = None
        if self.rest:
            r = state["rhs_rest"][:, p] - state["rhs_rest"][:, :p] @ beta
            b_rest = state["lam_rest"] @ state["solver"].solve(r)
        if self.first is not None:
            z = self.ZtXy1[..., p] - self.ZtXy1[..., :p] @ beta
            if b_rest is not None:
                z = z - (self.ZtZ_1R @ b_rest).reshape(z.shape)
            out.append(np.einsum("gij,gj->gi", state["E"], z))
        start = 0
        for factor in self.rest:
            out.append(b_rest[start:start + factor.size].reshape(-1, factor.k))
            start += factor.size
        return out

    def conditional_variances(self, state):
        """Diagonal blocks of Lambda A^{-1} Lambda' (times sigma^2: lme4's condVar), per factor."""
        out = []
        K = None
        if self.rest:
            lam = state["lam_rest"]
            K = lam @ (lam @ state["solver"].inverse()).T  # Lambda_R S^{-1} Lambda_R'
        if self.first is not None:
            blocks = state["E"].copy()
            if K is not None:
                EP = _block_diagonal(state["E"]) @ self.ZtZ_1R
                blocks += _block_products(EP, EP @ K, self.first.k)
            out.append(blocks)
        start = 0
        for factor in self.rest:
            k, G = factor.k, len(factor.levels)
            idx = start + np.arange(G)[:, None] * k + np.arange(k)
            out.append(K[idx[:, :, None], idx[:, None, :]])
            start += factor.size
        return out


class _Solver:
    """S^{-1} b and log|S| for the Schur complement: dense Cholesky, or sparse LU if S is sparse."""

    def __init__(self, S):
        self.size = S.shape[0]
        self.dense = not sparse.issparse(S)
        if self.dense:
            self.factor = linalg.cho_factor(S, lower=True, check_finite=False)
            self.logdet = 2 * np.log(np.diag(self.factor[0])).sum()
        else:
            self.factor = splinalg.splu(S.tocsc(), permc_spec="MMD_AT_PLUS_A",
                                        diag_pivot_thresh=0.0, options={"SymmetricMode": True})
            diagonal = self.factor.U.diagonal()
            if np.any(diagonal <= 0):
                raise np.linalg.LinAlgError("Schur complement is not positive definite")
            self.logdet = np.log(diagonal).sum()

    def solve(self, b):
        if self.dense:
            return linalg.cho_solve(self.factor, b, check_finite=False)
        return self.factor.solve(np.asarray(b))

    def inverse(self):
        return self.solve(np.eye(self.size))


def _spd_logdet_inverse(B):
    """log-determinant and inverse of symmetric positive definite k x k matrices, unrolled.

    `B` is a k x k nested list of equally shaped arrays (one matrix per element); returns the
    log-determinants (NaN where a matrix is not positive definite) and the inverse in the same
    nested layout, by Cholesky's algorithm written out entry by entry.
    """
    k = len(B)
    C = [[None] * k for _ in range(k)]
    for j in range(k):
        d = B[j][j] - sum(C[j][s] ** 2 for s in range(j))
        C[j][j] = np.sqrt(np.where(d > 0, d, np.nan))
        for i in range(j + 1, k):
            C[i][j] = (B[i][j] - sum(C[i][s] * C[j][s] for s in range(j))) / C[j][j]
    logdet = 2 * sum(np.log(C[j][j]) for j in range(k)).sum(axis=-1)
    C_inv = [[None] * k for _ in range(k)]
    for i in range(k):
        C_inv[i][i] = 1 / C[i][i]
        for j in range(i):
            C_inv[i][j] = -sum(C[i][s] * C_inv[s][j] for s in range(j, i)) / C[i][i]
    inverse = [[None] * k for _ in range(k)]
    for a in range(k):
        for b in range(a + 1):
            inverse[a][b] = inverse[b][a] = sum(C_inv[s][a] * C_inv[s][b] for s in range(a, k))
    return logdet, inverse


def _outer_products(z):
    """z[l, a, i] z[l, b, j] for levels l, effects a, b and columns i, j of [X y], laid out as
    rows (a, b, l) and columns (i, j): the sum over levels of z'Ez is then one matrix product."""
    levels, k, r = z.shape
    return np.einsum("lai,lbj->ablij", z, z).reshape(k * k * levels, r * r)


def _level_blocks(factor, sw, Xy):
    """Z'WZ and Z'W[X y] of one factor, level by level: (G, k, k) and (G, k, p + 1)."""
    G, k = len(factor.levels), factor.k
    V = factor.values * sw[:, None]
    ZtZ = np.empty((G, k, k))
    for a in range(k):
        for b in range(a + 1):
            ZtZ[:, a, b] = ZtZ[:, b, a] = np.bincount(factor.codes, V[:, a] * V[:, b], G)
    ZtXy = np.empty((G, k, Xy.shape[1]))
    for a in range(k):
        for j in range(Xy.shape[1]):
            ZtXy[:, a, j] = np.bincount(factor.codes, V[:, a] * Xy[:, j], G)
    return ZtZ, ZtXy


def _lambda_pattern(factors):
    """Row and column indices of Lambda's entries for `factors`, in the order of their data."""
    rows, cols, start = [], [], 0
    for f in factors:
        offsets = start + np.arange(len(f.levels))[:, None] * f.k
        rows.append((offsets + f.tril[0]).ravel())
        cols.append((offsets + f.tril[1]).ravel())
        start += f.size
    return np.concatenate(rows), np.concatenate(cols)


def _sandwich_plan(P, k, q):
    """How to form P' E P for any block-diagonal E (k x k blocks) by one bincount.

    Every pair of stored entries in rows (g, a) and (g, b) of P adds
    E_g[a, b] P[(g, a), i] P[(g, b), j] to entry (i, j); the plan lists, for each pair, the
    flat target i * q + j, the flat index of E_g[a, b] and the product.  None when the plan
    would hold more than PLAN_LIMIT pairs (then P'EP is formed by sparse products).
    """
    P = P.tocsr()
    P.sort_indices()
    pairs = _sandwich_pairs(P, k, q)
    if pairs is None:
        return None
    targets, blocks, first, second = pairs
    return targets, blocks, P.data[first] * P.data[second]


def _sandwich_pairs(P, k, q):
    """The pairs of :func:`_sandwich_plan` for a CSR `P` with sorted indices: the targets, the
    indices of E's entries and the positions in P.data of the two factors (None when more than
    PLAN_LIMIT pairs)."""
    lengths = np.diff(P.indptr)
    G = P.shape[0] // k
    by_level = lengths.reshape(G, k)
    if sum(int((by_level[:, a] * by_level[:, b]).sum()) for a in range(k) for b in range(k)) \
            > PLAN_LIMIT:
        return None
    targets, blocks, firsts, seconds = [], [], [], []
    for a in range(k):
        for b in range(k):
            rows_a, rows_b = np.arange(G) * k + a, np.arange(G) * k + b
            la, lb = lengths[rows_a], lengths[rows_b]
            counts = la * lb
            level = np.repeat(np.arange(G), counts)
            t = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            first = P.indptr[rows_a][level] + t // np.maximum(lb[level], 1)
            second = P.indptr[rows_b][level] + t % np.maximum(lb[level], 1)
            targets.append(P.indices[first].astype(np.int64) * q + P.indices[second])
            blocks.append(level * k * k + a * k + b)
            firsts.append(first)
            seconds.append(second)
    return tuple(np.concatenate(x) for x in (targets, blocks, firsts, seconds))


def _block_diagonal(blocks):
    """A sparse block-diagonal matrix from a (G, k, k) array."""
    G, k, _ = blocks.shape
    if k == 1:
        return sparse.diags(blocks[:, 0, 0], format="csr")
    return sparse.bsr_matrix((blocks, np.arange(G), np.arange(G + 1)),
                             shape=(G * k, G * k)).tocsr()


def _block_products(V, VK, k):
    """The k x k diagonal blocks of V @ VK.T for a sparse V and dense VK (rows grouped by k)."""
    G = V.shape[0] // k
    out = np.empty((G, k, k))
    V = V.tocsr()
    for a in range(k):
        rows_a = V[a::k]
        for b in range(k):
            out[:, a, b] = np.asarray(rows_a.multiply(VK[b::k]).sum(axis=1)).ravel()
    return out
