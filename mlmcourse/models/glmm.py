"""The deviance and optimisation stages of a generalized linear mixed model (lme4's ``glmer``).

Takes the :class:`~mlmcourse.models.design.Design` from `design.py` and a family from
`families.py`; hands `glm_result.py` theta, beta, the conditional modes and the Hessian of the
deviance at the optimum.  Nothing here knows about formulas or result tables.

The algorithm is lme4's (Bates, Maechler, Bolker and Walker 2015, section 3.6; ``glmer``'s
``pwrssUpdate`` and ``glmResp::Laplace``).  With b = Lambda_theta u and u ~ N(0, I), the
linear predictor is eta = offset + X beta + Z Lambda u.  For given (theta, beta), penalized
iteratively reweighted least squares (PIRLS) finds the conditional mode of u, the minimiser of
the penalized deviance  sum(dev.resid) + ||u||^2, by Newton steps (the links are canonical) with
step halving; each step factorises

    A = Lambda' Z' W Z Lambda + I = L L',   W the IRLS weights,

with the building blocks of `deviance.py` (batched k x k blocks for one grouping factor; for
several, the first factor eliminated by blocks and the dense or sparse solver of the linear core
on the Schur complement).  Only W changes from step to step, so everything symbolic is done
once: the cross-products Z'WZ at new weights come from index plans (`weighted.py`), and no
sparse matrix is built per step.  The Laplace approximation to -2 log L is

    -2 sum(log p(y | u_hat)) + ||u_hat||^2 + log|L|^2

(lme4's ``aic() + sqrL + ldL2``; its half is ``logLik``).  With one scalar random term, ``nagq``
points of adaptive Gauss-Hermite quadrature replace it, centred at the modes and scaled by their
conditional SDs; the value is the full log-likelihood (lme4 1.1-31 prints one measured against
the saturated model, so its logLik differs from this by a constant; see `glm_result.py`).

Optimisation is lme4's two stages: first theta alone, with beta found inside PIRLS (lme4's
nAGQ = 0), then (theta, beta) together from there.  Both stages use exact gradients (of the
Laplace deviance, of the nAGQ = 0 criterion and of the quadrature), each about the cost of one
PIRLS step, where lme4's derivative-free optimizers and a difference gradient need many more
deviance evaluations; the Hessian at the optimum is the central difference of the gradient.
PIRLS starts from the previous evaluation's modes.
"""
from types import SimpleNamespace

import numpy as np
from numpy.polynomial import hermite_e
from scipy import linalg, optimize, sparse

from mlmcourse.models.deviance import DENSE_LIMIT, _block_diagonal, _Solver, _lambda_pattern, \
    _level_blocks, _sandwich_pairs, _spd_logdet_inverse
from mlmcourse.models.optimize import GRADIENT_TOLERANCE, _gradient, _nelder_mead, \
    canonical, derivatives, is_singular, start
from mlmcourse.models.weighted import CrossProduct

_ETA_TOLERANCE = 1e-8  # PIRLS stops after a step that changes eta by less than this
_PIRLS_MAXIT = 60
_DENSE_Q_LIMIT = 4_000_000  # most entries of a dense Q = Z_1'WZ_R
_DEVIANCE_STALL = 1e-10  # BFGS stops after an iteration that gains less than this
_EXACT_GTOL = 1e-8  # stage two's gradient tolerance with exact gradients
_GRADIENT_REST_LIMIT = 1000  # most columns of the other factors for gradient()


class PirlsError(ArithmeticError):
    """PIRLS found no finite conditional mode (the optimizer then scores the point as inf)."""


# what a failed PIRLS or factorisation raises; the point then scores inf
_FAILURES = (PirlsError, np.linalg.LinAlgError, linalg.LinAlgError, RuntimeError, ValueError,
             FloatingPointError)


class GLMMDeviance:
    """-2 log-likelihood of a GLMM (Laplace or adaptive Gauss-Hermite) at (theta, beta).

    Parameters
    ----------
    design : Design
        From :func:`~mlmcourse.models.design.build_design` with a GLMM family.
    family : Family
        From :mod:`~mlmcourse.models.families`.
    nagq : int
        1 for the Laplace approximation, more for adaptive Gauss-Hermite quadrature.

    Examples
    --------
    >>> import mlmcourse, patsy
    >>> from mlmcourse.models.design import build_design
    >>> from mlmcourse.models.families import Family
    >>> from mlmcourse.models.formula import parse_formula
    >>> cbpp = mlmcourse.load_dataset("cbpp")
    >>> parsed = parse_formula("cbind(incidence, size - incidence) ~ period + (1 | herd)")
    >>> design, _ = build_design(parsed, cbpp, patsy.EvalEnvironment.capture(),
    ...                          family="binomial")
    >>> deviance = GLMMDeviance(design, Family("binomial", design.trials))
    >>> round(deviance.theta_only([0.642]), 2)
    184.11
    """

    def __init__(self, design, family, nagq=1):
        self.design, self.family, self.nagq = design, family, int(nagq)
        self.y = design.y.to_numpy(float)
        self.X = design.X.to_numpy(float)
        self.n, self.p = self.X.shape
        self.offset = np.asarray(design.offset, float)
        self.factors = design.factors
        self.n_theta = design.n_theta
        self.single = len(self.factors) == 1
        self.q = sum(f.size for f in self.factors)
        if not self.single:  # the first factor eliminated by blocks, as in deviance.py
            self._setup_blocked()
        nodes, weights = hermite_e.hermegauss(max(self.nagq, 1))
        self._nodes, self._log_weights = nodes, np.log(weights / weights.sum())
        if self.single:  # rows -> levels, for the quadrature to sum by level
            codes = self.factors[0].codes
            self._level_indicator = sparse.csr_matrix(
                (np.ones(self.n), (np.arange(self.n), codes)), shape=(self.n, codes.max() + 1))
        self._u = np.zeros(self.q)       # warm start for the next PIRLS
        self._eta = None                 # warm start for the nAGQ = 0 stage
        mu0 = self._mustart()
        self._eta0 = family.sm.link(mu0)

    def _setup_blocked(self):
        """What a blocked solve reuses at every weight: Z, and the plans of Z_1'WZ_R, Z_R'WZ_R
        and of Q'EQ (Q = Z_1'WZ_R, E block-diagonal), so that a PIRLS step does no sparse
        symbolic work (`weighted.py`)."""
        first, rest = self.factors[0], self.factors[1:]
        self.Z = sparse.hstack([f.z_matrix() for f in self.factors], format="csc")
        self._pattern = _lambda_pattern(self.factors)
        self._pattern_rest = _lambda_pattern(rest)
        self.q1 = first.size
        Z_rest = sparse.hstack([f.z_matrix() for f in rest], format="csc")
        self._ZRt = Z_rest.T.tocsr()
        self._Q = CrossProduct(first.z_matrix(), Z_rest)
        self._RR = CrossProduct(Z_rest, Z_rest)
        self._pairs = _sandwich_pairs(self._Q.matrix(np.ones(self._Q.nnz)), first.k,
                                      self.q - self.q1)
        self._route = self._schur_route()

    def _schur_route(self):
        """How M = Z_R'WZ_R - Q'EQ is formed at each weight: "pairs" (one bincount over the
        plan's pairs), "dense" (Q as a dense array and one matrix product, when its
        arithmetic is less than the pairs' or there is no plan), or "sparse" (M sparse)."""
        q_rest = self.q - self.q1
        if q_rest > DENSE_LIMIT:
            return "sparse"
        dense_work = self.q1 * q_rest * (q_rest + self.factors[0].k)
        if self._pairs is None:
            return "dense" if self.q1 * q_rest <= _DENSE_Q_LIMIT else "sparse"
        return "dense" if dense_work < 10 * len(self._pairs[0]) else "pairs"

    def _mustart(self):
        """R's family$initialize: (n y + 0.5) / (n + 1) for the binomial, y + 0.1 for Poisson."""
        if self.family.name == "binomial":
            trials = self.family.prior_weights(self.n)
            return (trials * self.y + 0.5) / (trials + 1)
        return self.y + 0.1

    # -- the random-effects matrix for one theta --------------------------------------
    def _setup(self, theta):
        """What PIRLS reuses at theta: each factor's template L_f and the rows of Z_f Lambda_f
        (V_f = the factor's model columns times L_f)."""
        theta = np.asarray(theta, float)
        templates = [f.template(t) for f, t in zip(self.factors, self.design.split_theta(theta))]
        V = [f.values @ L for f, L in zip(self.factors, templates)]
        first, rest = self.factors[0], self.factors[1:]
        diagonal = None  # Lambda_R's diagonal, when every other factor is scalar
        if rest and all(f.k == 1 for f in rest):
            diagonal = np.repeat([L[0, 0] for L in templates[1:]], [f.size for f in rest])
        return SimpleNamespace(theta=theta, templates=templates, V=V, rest_diagonal=diagonal,
                               blocks=SimpleNamespace(levels=first.levels, k=first.k,
                                                      codes=first.codes, values=V[0]))

    def _by_factor(self, x, factors):
        """x (one row per column of Z for `factors`) cut into one (levels, k, ...) piece each."""
        cuts = np.cumsum([f.size for f in factors])[:-1]
        return [piece.reshape(len(f.levels), f.k, *x.shape[1:])
                for f, piece in zip(factors, np.split(x, cuts))]

    def _random_part(self, setup, u):
        """Z Lambda u, factor by factor (u is ordered as Z's columns)."""
        return sum(np.einsum("ij,ij->i", V, u_f[f.codes])
                   for f, V, u_f in zip(self.factors, setup.V, self._by_factor(u, self.factors)))

    def _lambda_rest(self, setup, x, transpose=False):
        """Lambda_R x, or Lambda_R' x, by the templates (x: one row per column of Z_R)."""
        if setup.rest_diagonal is not None:
            return x * setup.rest_diagonal.reshape(-1, *[1] * (x.ndim - 1))
        rest = self.factors[1:]
        pieces = [np.einsum("ji,gj...->gi..." if transpose else "ij,gj...->gi...", L, x_f)
                  for L, x_f in zip(setup.templates[1:], self._by_factor(x, rest))]
        return np.concatenate([p.reshape(-1, *x.shape[1:]) for p in pieces])

    def _lambda_matrix(self, setup, factors, pattern):
        """Lambda for `factors` (one template per level) as a sparse matrix."""
        templates = setup.templates[len(self.factors) - len(factors):]
        rows, cols = pattern
        data = np.concatenate([np.tile(L[f.tril], len(f.levels))
                               for f, L in zip(factors, templates)])
        size = sum(f.size for f in factors)
        return sparse.csr_matrix((data, (rows, cols)), shape=(size, size))

    def _solve(self, setup, w, R=None):
        """Factorise A for weights w; A^{-1} (Z Lambda)' W R, (Z Lambda)' W R, log|L|^2 and the
        pieces kept (R=None: the factorisation and log|L|^2 only)."""
        if self.single:
            return self._solve_single(setup, w, R)
        return self._solve_blocked(setup, w, R)

    def _solve_single(self, setup, w, R):
        """One grouping factor: A is block-diagonal, one k x k block per level."""
        sw = np.sqrt(w)
        m = 1 if R is None else R.shape[1]
        ZtZ, ZtR = _level_blocks(setup.blocks, sw, np.zeros((self.n, 1)) if R is None
                                 else R * sw[:, None])
        A = ZtZ + np.eye(ZtZ.shape[1])
        logdet, A_inv = _block_inverse(A)
        if R is None:
            return None, None, logdet, A
        solution = np.einsum("gij,gjm->gim", A_inv, ZtR)
        return solution.reshape(-1, m), ZtR.reshape(-1, m), logdet, A

    def _solve_blocked(self, setup, w, R):
        """Several factors: A = [[B, P], [P', C]] with B block-diagonal (the first factor);
        the Schur complement S = C - P' B^{-1} P = Lambda_R' M Lambda_R + I is the linear
        core's _Solver, P = Lambda_1' Q Lambda_R with Q = Z_1'WZ_R."""
        sw = np.sqrt(w)
        ZtZ1, r1 = _level_blocks(setup.blocks, sw, np.zeros((self.n, 1)) if R is None
                                 else R * sw[:, None])
        logdet_B, Binv = _block_inverse(ZtZ1 + np.eye(ZtZ1.shape[1]))
        L1 = setup.templates[0]
        E = L1 @ Binv @ L1.T
        Qv = self._Q.values(w)
        solver = self._schur_solver(setup, self._schur_matrix(w, Qv, E))
        logdet = logdet_B + solver.logdet
        if R is None:  # the factorisation at the mode, kept for the gradient
            return None, None, logdet, SimpleNamespace(B_inv=Binv, Qv=Qv, solver=solver)
        m = R.shape[1]
        Q = self._Q
        r_rest = self._lambda_rest(setup, self._ZRt @ (R * w[:, None]), transpose=True)
        t1 = np.einsum("ij,gjk,gkm->gim", L1, Binv, r1).reshape(self.q1, m)
        x_rest = solver.solve(r_rest - self._lambda_rest(setup, Q.transpose_times(Qv, t1),
                                                         transpose=True))
        back = Q.times(Qv, self._lambda_rest(setup, x_rest)).reshape(r1.shape)
        x1 = np.einsum("gij,gjm->gim", Binv, r1 - np.einsum("ji,gjm->gim", L1, back))
        solution = np.vstack([x1.reshape(self.q1, m), x_rest])
        rhs = np.vstack([r1.reshape(self.q1, m), r_rest])
        return solution, rhs, logdet, None

    def _schur_matrix(self, w, Qv, E):
        """M = Z_R'WZ_R - Q'EQ (Qv: the values of Q), by the route of :meth:`_schur_route`."""
        q = self.q - self.q1
        RR = self._RR.values(w)
        if self._route == "dense":
            Q = self._Q.dense(Qv)
            G, k = len(E), E.shape[1]
            EQ = np.einsum("gab,gbj->gaj", E, Q.reshape(G, k, q)).reshape(Q.shape)
            return self._RR.dense(RR) - Q.T @ EQ
        if self._pairs is None:  # too many pairs for a plan: sparse products
            Q = self._Q.matrix(Qv)
            return self._RR.matrix(RR) - Q.T @ _block_diagonal(E) @ Q
        targets, blocks, first, second = self._pairs
        values = E.ravel()[blocks] * Qv[first] * Qv[second]
        if self._route == "pairs":
            return self._RR.dense(RR) - np.bincount(targets, values, q * q).reshape(q, q)
        return self._RR.matrix(RR) - sparse.csr_matrix((values, np.divmod(targets, q)),
                                                       shape=(q, q))

    def _schur_solver(self, setup, M):
        """The linear core's _Solver for S = Lambda_R' M Lambda_R + I (M dense when small)."""
        if sparse.issparse(M):
            lam = self._lambda_matrix(setup, self.factors[1:], self._pattern_rest)
            return _schur_solver(lam, M)
        d = setup.rest_diagonal
        if d is not None:
            S = M * np.outer(d, d)
        else:
            S = self._lambda_rest(setup, self._lambda_rest(setup, M, transpose=True).T,
                                  transpose=True)
        return _Solver(S + np.eye(len(S)))

    # -- PIRLS -------------------------------------------------------------------------
    def pirls(self, theta, beta=None):
        """Conditional modes at theta and beta (beta=None: beta found too, lme4's nAGQ = 0).

        Returns a dict with u, beta, eta, mu, the log-likelihood of the data given the modes,
        the penalty ||u||^2, log|L|^2 and the factorisation at the modes.
        """
        setup = self._setup(theta)
        family, y = self.family, self.y
        with_beta = beta is None
        if with_beta:
            eta = self._eta if self._eta is not None else self._eta0.copy()
            u = np.zeros(self.q)
            pdev_old = np.inf
        else:
            beta = np.asarray(beta, float)
            fixed = self.X @ beta + self.offset
            u = self._u.copy()
            eta = fixed + self._random_part(setup, u)
            pdev_old = self._pdev(eta, u)
        for _ in range(_PIRLS_MAXIT):
            w, working, _ = family.irls(y, eta, self.offset)
            if not np.all(np.isfinite(w)) or not np.all(np.isfinite(working)):
                raise PirlsError("non-finite IRLS weights")
            if with_beta:
                solution, rhs, logdet, pieces = self._solve(setup, w, np.column_stack(
                    [self.X, working]))
                p = self.p
                XR = np.column_stack([self.X, working])
                M = (XR * w[:, None]).T @ XR - rhs.T @ solution
                beta_new = np.linalg.solve(M[:p, :p], M[:p, p])
                xvx = M[:p, :p]
                u_new = solution[:, p] - solution[:, :p] @ beta_new
                new = (u_new, beta_new)
                old = (u, beta if beta is not None else beta_new)
            else:
                solution, rhs, logdet, pieces = self._solve(setup, w, (working - self.X @ beta
                                                                       )[:, None])
                new, old = (solution[:, 0], beta), (u, beta)
            step, pdev, eta_new = 1.0, np.inf, None
            for _halving in range(30):
                u_t = old[0] + step * (new[0] - old[0])
                b_t = old[1] + step * (new[1] - old[1])
                eta_new = self.X @ b_t + self.offset + self._random_part(setup, u_t)
                pdev = self._pdev(eta_new, u_t)
                if np.isfinite(pdev) and pdev <= pdev_old + 1e-10 * abs(pdev_old):
                    break
                if not np.isfinite(pdev_old):
                    if np.isfinite(pdev):
                        break
                step /= 2
            else:
                raise PirlsError("PIRLS step halving failed")
            change = abs(pdev_old - pdev) / (abs(pdev) + 1e-10)
            moved = np.max(np.abs(eta_new - eta) / np.maximum(1.0, np.abs(eta)))
            converged = moved < _ETA_TOLERANCE or (change == 0 and moved < 1e-6)
            u, beta, eta, pdev_old = u_t, b_t, eta_new, pdev
            if converged:
                break
        else:
            # Separation (a fixed effect running off to infinity) keeps PIRLS going for ever;
            # the last iterate stands, and the result's separation check says why.
            converged = False
        # log|L|^2 and the factorisation at the weights of the mode itself (quadratic
        # convergence leaves the mode exact to ~1e-16, so the deviance is smooth in
        # (theta, beta), as the finite-difference Hessian needs).
        w, _, _ = family.irls(y, eta, self.offset)
        _, _, logdet, pieces = self._solve(setup, w)
        mu = family.mean(eta)
        loglike = float(family.loglike(y, mu).sum())
        if with_beta:
            self._eta = eta
        self._u = u
        extra = {"xvx": xvx} if with_beta else {}
        return {"setup": setup, "theta": setup.theta, "u": u, "beta": beta, "eta": eta, "mu": mu,
                "loglike": loglike, "penalty": float(u @ u), "logdet": float(logdet),
                "pieces": pieces, "weights": w, "pirls_converged": converged, **extra}

    def _pdev(self, eta, u):
        mu = self.family.mean(eta)
        return float(self.family.deviance_residuals(self.y, mu).sum() + u @ u)

    # -- the deviance --------------------------------------------------------------------
    def laplace(self, state):
        """lme4's Laplace deviance: -2 log p(y | u) + ||u||^2 + log|L|^2."""
        return -2 * state["loglike"] + state["penalty"] + state["logdet"]

    def _quadrature_nodes(self, state):
        """The nodes of adaptive quadrature at the modes: t (nodes, 1), the conditional SDs s,
        u = u_hat + s t (nodes, levels), mu at every node (nodes, n) and `values`, each node's
        log integrand plus log weight (nodes, levels)."""
        s = 1 / np.sqrt(state["pieces"][:, 0, 0])
        t = self._nodes[:, None]
        u = state["u"] + s * t
        fixed = self.X @ state["beta"] + self.offset
        mu = self.family.mean(fixed + state["setup"].V[0][:, 0] * u[:, self.factors[0].codes])
        values = (self.family.loglike(self.y, mu) @ self._level_indicator  # per node and level
                  - u ** 2 / 2 + t ** 2 / 2 + self._log_weights[:, None])
        return SimpleNamespace(t=t, s=s, u=u, mu=mu, values=values)

    def quadrature(self, state, nodes=None):
        """-2 log-likelihood by adaptive Gauss-Hermite quadrature (one scalar random term)."""
        nodes = self._quadrature_nodes(state) if nodes is None else nodes
        top = nodes.values.max(axis=0)  # log-sum-exp over the nodes (scipy's is slow here)
        log_sum = top + np.log(np.exp(nodes.values - top).sum(axis=0))
        return float(-2 * (np.log(nodes.s) + log_sum).sum())

    def value(self, state):
        return self.quadrature(state) if self.nagq > 1 else self.laplace(state)

    def theta_only(self, theta):
        """The nAGQ = 0 stage's deviance: beta inside PIRLS, Laplace approximation."""
        try:
            return self.laplace(self.pirls(theta))
        except _FAILURES:
            self._eta = None
            return np.inf

    def __call__(self, params):
        """The deviance at params = (theta, beta)."""
        params = np.asarray(params, float)
        try:
            with np.errstate(over="ignore", under="ignore"):
                value = self.value(self.pirls(params[:self.n_theta], params[self.n_theta:]))
        except _FAILURES:
            self._u = np.zeros(self.q)
            return np.inf
        return value if np.isfinite(value) else np.inf

    def state(self, params):
        """PIRLS at params = (theta, beta), with the deviance."""
        params = np.asarray(params, float)
        state = self.pirls(params[:self.n_theta], params[self.n_theta:])
        state["deviance"] = self.value(state)
        return state

    # -- exact gradients ----------------------------------------------------------------
    @property
    def has_gradient(self):
        """Whether the exact gradients apply: one grouping factor (A block-diagonal), or
        other factors with few enough columns for a dense inverse of the Schur complement
        (otherwise the optimizer uses differences of the deviance)."""
        if self.single:
            return True
        q_rest = self.q - self.q1
        return q_rest <= _GRADIENT_REST_LIMIT and self.q1 * q_rest <= _DENSE_Q_LIMIT

    def gradient(self, state, profiled=False):
        """The exact gradient of the Laplace deviance in (theta, beta) at a PIRLS state
        (profiled=True: of the nAGQ = 0 criterion in theta, beta_hat(theta) found by PIRLS).

        With G = Z Lambda, A = G'WG + I, r = d log p(y | u) / d eta and h = diag(G A^{-1} G'),
        the penalized deviance contributes by the envelope theorem (u_hat minimises it), and
        log|A| through Lambda and through the IRLS weights at eta_hat, which moves with
        d u_hat = -A^{-1} (G'W d eta_fixed - dG' r + G'W dG u_hat).  Collected, with
        t = A^{-1} G'(h w') and a = -2 r + h w' - W G t (w' = dw / d eta):

            d/d beta = X'a,
            d/d theta_j = a' dG_j u_hat + r' dG_j t + 2 tr(A^{-1} G'W dG_j),

        dG_j = Z dLambda / d theta_j.  Costs about one PIRLS step, where a difference
        gradient costs 2 (theta + beta) PIRLS runs.
        """
        setup, w, mu = state["setup"], state["weights"], state["mu"]
        r = self.family.prior_weights(self.n) * (self.y - mu)
        rows, inverse = self._inverse_rows(state)      # G A^{-1}, at each row's own levels
        hw = sum(np.einsum("ij,ij->i", V, m) for V, m in zip(setup.V, rows)) \
            * self.family.weight_derivative(mu, w)
        t = inverse(self._random_part_transpose(setup, hw))
        a = -2 * r + hw - w * self._random_part(setup, t)
        pieces = []
        for f, u_f, t_f, m in zip(self.factors, self._by_factor(state["u"], self.factors),
                                  self._by_factor(t, self.factors), rows):
            S = a[:, None] * u_f[f.codes] + r[:, None] * t_f[f.codes] + 2 * w[:, None] * m
            pieces.append((f.values.T @ S)[f.tril])
        gradient = np.concatenate(pieces + [self.X.T @ a])
        if not profiled:
            return gradient
        return gradient[:self.n_theta] + self._beta_path(state, r, inverse).T @ gradient[
            self.n_theta:]

    def quadrature_gradient(self, state, nodes=None):
        """The exact gradient of :meth:`quadrature` in (theta, beta).

        Level g's integral is sum_j omega_j exp(v_gj) s_g with nodes u_gj = u_hat_g + s_g t_j
        and s_g = A_g^{-1/2}; the nodes move with the mode (d u_hat_g from its condition
        theta sum_g r x = u_hat_g) and with A_g (through theta and the weights at eta_hat),
        so d v_gj = sum_g r_ij d eta_ij - u_gj d u_gj and the deviance moves by
        -2 sum_g (d log s_g + sum_j pi_gj d v_gj), pi_gj the nodes' shares of the integral.
        """
        factor, theta = self.factors[0], state["theta"][0]
        codes, x = factor.codes, factor.values[:, 0]
        by_level = self._level_indicator.T            # (n, ...) -> sums by level
        prior = self.family.prior_weights(self.n)
        w, u_hat, A = state["weights"], state["u"], state["pieces"][:, 0, 0]
        r = prior * (self.y - state["mu"])
        d_fixed = np.column_stack([np.zeros(self.n), self.X])   # d (X beta) / d (theta, beta)
        phi = np.eye(1 + self.p)[0]                             # d theta / d (theta, beta)
        wxx = by_level @ (w * x * x)
        d_u_hat = (np.outer(by_level @ (r * x), phi) - theta * (
            by_level @ ((w * x)[:, None] * d_fixed) + np.outer(u_hat * wxx, phi))) / A[:, None]
        d_eta_hat = d_fixed + x[:, None] * (np.outer(u_hat[codes], phi) + theta * d_u_hat[codes])
        d_A = 2 * theta * np.outer(wxx, phi) + theta ** 2 * (
            by_level @ ((self.family.weight_derivative(state["mu"], w) * x * x)[:, None]
                        * d_eta_hat))
        d_log_s = -d_A / (2 * A[:, None])
        nodes = self._quadrature_nodes(state) if nodes is None else nodes
        t, s, u, mu = nodes.t, nodes.s, nodes.u, nodes.mu
        d_u = d_u_hat + t[:, :, None] * (s[:, None] * d_log_s)              # (nodes, levels, P)
        share = np.exp(nodes.values - nodes.values.max(axis=0))
        share /= share.sum(axis=0)
        r_nodes = prior * (self.y - mu)                                     # (nodes, n)
        R = (r_nodes * x) @ self._level_indicator                           # (nodes, levels)
        J, G = u.shape
        RX = (by_level @ (r_nodes.T[:, :, None] * d_fixed[:, None, :]).reshape(self.n, -1)
              ).reshape(G, J, -1).transpose(1, 0, 2)                        # (nodes, levels, P)
        d_values = RX + (phi * u[:, :, None] + theta * d_u) * R[:, :, None] - u[:, :, None] * d_u
        return -2 * (d_log_s.sum(axis=0) + np.einsum("jg,jgp->p", share, d_values))

    def _beta_path(self, state, r, inverse):
        """d beta_hat / d theta for the nAGQ = 0 criterion (p x n_theta): beta_hat keeps
        X'r(eta_hat) = 0, so X'W (d eta_hat / d beta) d beta_hat = -X'W (d eta_hat / d theta),
        with d eta_hat = d eta + G d u_hat by the mode's own condition."""
        setup, w = state["setup"], state["weights"]

        def moved(d_eta, d_score):
            """eta_hat's change for a change d_eta of eta at fixed u and d_score of G'r."""
            d_u = inverse(d_score - self._random_part_transpose_many(setup, w[:, None] * d_eta))
            return d_eta + self._random_part_many(setup, d_u)

        along_beta = moved(self.X, np.zeros((self.q, self.p)))
        columns, start_ = [], 0
        for f, u_f in zip(self.factors, self._by_factor(state["u"], self.factors)):
            for a, b in zip(*f.tril):  # dG_j u_hat and dG_j' r for theta_j = L_f[a, b]
                d_score = np.zeros(self.q)
                d_score[start_ + b:start_ + f.size:f.k] = np.bincount(
                    f.codes, f.values[:, a] * r, len(f.levels))
                d_eta = f.values[:, a] * u_f[f.codes, b]
                columns.append(moved(d_eta[:, None], d_score[:, None])[:, 0])
            start_ += f.size
        XW = self.X.T * w
        return -np.linalg.solve(XW @ along_beta, XW @ np.column_stack(columns))

    def _inverse_rows(self, state):
        """Each factor's (n, k) rows of G A^{-1} at each row's own level, and x -> A^{-1} x
        (x of shape (q,) or (q, m))."""
        setup = state["setup"]
        if self.single:
            f, (G, k) = self.factors[0], state["pieces"].shape[:2]
            _, A_inv = _block_inverse(state["pieces"])
            rows = [np.einsum("ijk,ik->ij", A_inv[f.codes], setup.V[0])]
            return rows, lambda x: np.einsum("gij,gj...->gi...", A_inv,
                                             x.reshape(G, k, *x.shape[1:])).reshape(x.shape)
        return self._inverse_rows_blocked(state)

    def _inverse_rows_blocked(self, state):
        """:meth:`_inverse_rows` for several factors, by the blocks of A = [[B, P], [P', C]]:

            A^{-1} = [[B^{-1} + F E', -F], [-F', S^{-1}]],   E = B^{-1} P,  F = E S^{-1},

        with B block-diagonal (the first factor), S the Schur complement (dense) and P, E, F
        dense q_1 x q_R: O(q_1 q_R^2) work, where a dense A^{-1} takes O(q^3)."""
        setup, blocked = state["setup"], state["pieces"]  # PIRLS's factorisation at the mode
        B_inv, Qv, S_inv = blocked.B_inv, blocked.Qv, blocked.solver.inverse()
        L1, (G1, k1) = setup.templates[0], B_inv.shape[:2]
        q1, q2 = self.q1, self.q - self.q1
        LQ = np.einsum("ji,gjm->gim", L1, self._Q.dense(Qv).reshape(G1, k1, q2))
        P = self._lambda_rest(setup, LQ.reshape(q1, q2).T, transpose=True).T
        E = np.einsum("gij,gjm->gim", B_inv, P.reshape(G1, k1, q2))
        F = E.reshape(q1, q2) @ S_inv
        B_part = B_inv + np.einsum("gam,gbm->gab", F.reshape(G1, k1, q2), E)
        E = E.reshape(q1, q2)
        # each row's own columns of u: within B for the first factor, within S for the others
        local, start_ = [], 0
        for f in self.factors:
            local.append(start_ + f.codes[:, None] * f.k + np.arange(f.k))
            start_ = 0 if f is self.factors[0] else start_ + f.size

        def block(a, b):
            """A^{-1} between factor a's and factor b's columns of each row, (n, k_a, k_b)."""
            ia, ib = local[a][:, :, None], local[b][:, None, :]
            if a == b == 0:
                return B_part[self.factors[0].codes]
            if a == 0:
                return -F[ia, ib]
            if b == 0:
                return -F[ib, ia]
            return S_inv[ia, ib]

        nf = len(self.factors)
        rows = [sum(np.einsum("iab,ib->ia", block(a, b), setup.V[b]) for b in range(nf))
                for a in range(nf)]

        def inverse(x):
            x1, x2 = x[:q1], x[q1:]
            shape = (G1, k1, *x.shape[1:])
            top = np.einsum("gij,gj...->gi...", B_inv, x1.reshape(shape)).reshape(x1.shape)
            return np.concatenate([top + F @ (E.T @ x1) - F @ x2, S_inv @ x2 - F.T @ x1])

        return rows, inverse

    def _random_part_transpose(self, setup, y):
        """(Z Lambda)' y, ordered as u."""
        return np.concatenate([
            np.stack([np.bincount(f.codes, V[:, j] * y, len(f.levels)) for j in range(f.k)],
                     axis=1).ravel() for f, V in zip(self.factors, setup.V)])

    def _random_part_many(self, setup, x):
        """Z Lambda x for the columns of x (q, m)."""
        return np.column_stack([self._random_part(setup, column) for column in x.T])

    def _random_part_transpose_many(self, setup, y):
        """(Z Lambda)' y for the columns of y (n, m)."""
        return np.column_stack([self._random_part_transpose(setup, column) for column in y.T])

    def value_and_gradient(self, params):
        """The deviance at params = (theta, beta) and its gradient (inf and zeros where PIRLS
        fails)."""
        params = np.asarray(params, float)
        try:
            with np.errstate(over="ignore", under="ignore"):
                state = self.pirls(params[:self.n_theta], params[self.n_theta:])
                if self.nagq > 1:
                    nodes = self._quadrature_nodes(state)
                    value = self.quadrature(state, nodes)
                    if np.isfinite(value):
                        return value, self.quadrature_gradient(state, nodes)
                else:
                    value = self.laplace(state)
                    if np.isfinite(value):
                        return value, self.gradient(state)
        except _FAILURES:
            pass
        self._u = np.zeros(self.q)
        return np.inf, np.zeros(len(params))

    def theta_only_and_gradient(self, theta):
        """The nAGQ = 0 criterion at theta and its gradient (inf and zeros where PIRLS fails)."""
        try:
            with np.errstate(over="ignore", under="ignore"):
                state = self.pirls(theta)
                value = self.laplace(state)
                if np.isfinite(value):
                    return value, self.gradient(state, profiled=True)
        except _FAILURES:
            pass
        self._eta = None
        return np.inf, np.zeros(len(theta))

    # -- what the result needs (the same interface as ProfiledDeviance) ------------------
    def modes(self, state):
        """Conditional modes b = Lambda u, one (levels x k) array per factor, `factors` order."""
        return [u_f @ L.T for u_f, L in zip(self._by_factor(state["u"], self.factors),
                                            state["setup"].templates)]

    def conditional_variances(self, state):
        """Diagonal blocks of Lambda A^{-1} Lambda' per factor (lme4's condVar for a GLMM)."""
        if self.single:
            L = state["setup"].templates[0]
            return [L @ np.linalg.inv(state["pieces"]) @ L.T]
        lam = self._lambda_matrix(state["setup"], self.factors, self._pattern)
        w = state["weights"]
        solver = _schur_solver(lam, (self.Z.T @ sparse.diags(w) @ self.Z).tocsr())
        K = lam @ (lam @ solver.inverse()).T
        out, start_ = [], 0
        for factor in self.factors:
            k, G = factor.k, len(factor.levels)
            idx = start_ + np.arange(G)[:, None] * k + np.arange(k)
            out.append(np.asarray(K[idx[:, :, None], idx[:, None, :]]))
            start_ += factor.size
        return out

def _block_inverse(B):
    """log|B| (summed over the blocks) and the inverse of (G, k, k) positive definite blocks,
    by the linear core's unrolled Cholesky (numpy's stacked routines are slow on tiny blocks)."""
    k = B.shape[1]
    logdet, inverse = _spd_logdet_inverse([[B[:, a, b] for b in range(k)] for a in range(k)])
    if not np.isfinite(logdet):
        raise np.linalg.LinAlgError("a block of A is not positive definite")
    return float(logdet), np.stack([np.stack(row, axis=-1) for row in inverse], axis=-2)


def _schur_solver(lam, M, dense_limit=DENSE_LIMIT):
    """The linear core's _Solver for S = Lambda' M Lambda + I: dense up to `dense_limit` rows."""
    size = lam.shape[0]
    if size <= dense_limit:
        dense_M = M.toarray() if sparse.issparse(M) else np.asarray(M)
        return _Solver(lam.T @ (lam.T @ dense_M).T + np.eye(size))
    return _Solver((lam.T @ M @ lam + sparse.identity(size, format="csr")).tocsc())


class _OneByOne:
    """A function of the parameters with the ``many`` that optimize.py's helpers batch through.

    PIRLS warm-starts from the last mode, so the points are evaluated one by one, in order.
    """

    def __init__(self, function, n_theta):
        self.function, self.n_theta = function, n_theta

    def __call__(self, x):
        return self.function(x)

    def many(self, points):
        return np.array([self.function(x) for x in np.atleast_2d(points)])


def minimize_glmm(deviance):
    """lme4's two stages; returns (params, converged, optimizers tried, Hessian).

    Stage one minimises the nAGQ = 0 deviance over theta (beta inside PIRLS) from lme4's start;
    stage two minimises the deviance over (theta, beta) from there, with beta measured in units
    of its stage-one standard errors (beta = beta_0 + R^{-1} gamma, R'R the stage-one
    information), so that a predictor on a large scale does not derail the optimizer, and
    with BFGS's inverse Hessian starting from stage one's (so its first steps are already
    scaled: about half the iterations of a start from the identity).  Both stages use the
    exact gradients (of the nAGQ = 0 criterion, then of the Laplace or quadrature deviance:
    one PIRLS run per point instead of 2 (theta + beta) + 1), stage two down to a gradient of
    _EXACT_GTOL, and the Hessian is the central difference of the gradient; where
    :attr:`GLMMDeviance.has_gradient` is false (other factors with many columns), differences
    of the deviance replace them.  As in the linear core, a singular optimum is checked from
    seeded random starts and a failed convergence check adds Nelder-Mead; the lowest deviance
    wins.  params are (theta, beta); the Hessian is the deviance's in them, for lme4's
    Hessian-based standard errors.
    """
    design = deviance.design
    nt = deviance.n_theta
    exact = deviance.has_gradient
    first = _quasi_newton(_OneByOne(deviance.theta_only, nt), start(design), gtol=1e-6,
                          value_and_gradient=deviance.theta_only_and_gradient if exact else None)
    theta0 = first.x
    stage0 = deviance.pirls(theta0)
    beta0 = stage0["beta"]
    if deviance.p:
        R = linalg.cholesky(2 * stage0["xvx"], lower=False)
    else:
        R = np.zeros((0, 0))

    def to_params(x):
        return np.concatenate([x[:nt], beta0 + linalg.solve_triangular(R, x[nt:])])

    scaled = _OneByOne(lambda x: deviance(to_params(x)), nt)
    scaled_gradient = None
    if exact:
        def scaled_gradient(x):
            value, g = deviance.value_and_gradient(to_params(x))
            return value, np.concatenate([g[:nt], linalg.solve_triangular(R, g[nt:],
                                                                          trans="T")])

    def descend(x0, hess_inv0=None, gtol=1e-6):
        if exact:  # no noise to stop at: go to where the printed digits no longer move
            gtol = min(gtol, _EXACT_GTOL)
        return _quasi_newton(scaled, x0, hess_inv0, gtol, scaled_gradient).x

    def check(x):
        if scaled_gradient is None:
            gradient, hessian = derivatives(scaled, x)
        else:
            gradient, hessian = _gradient_derivatives(scaled_gradient, x)
        return gradient, hessian, _passes_check(gradient, hessian)

    # The start's inverse Hessian: stage one's in theta (the profiled criterion's inverse
    # Hessian is the theta block of the joint one), the identity in gamma (by R's choice).
    # With the Hessian near the identity, a gradient of 1e-6 leaves the deviance ~1e-12 above
    # its minimum, still well above the noise of a difference gradient; an exact gradient
    # goes on to _EXACT_GTOL, so that the estimates do not depend on where BFGS stopped.
    x = descend(np.concatenate([theta0, np.zeros(deviance.p)]),
                linalg.block_diag(_positive_definite(first.hess_inv), np.eye(deviance.p)))
    tried = ["BFGS (nAGQ = 0 start)", "BFGS"]
    gradient, hessian, converged = check(x)
    if is_singular(design, canonical(design, x[:nt])) or not converged:
        rng = np.random.default_rng(20240501)
        candidates = [x]
        for _ in range(2):
            theta = start(design) + rng.normal(0, 0.5, nt)
            candidates.append(descend(np.concatenate([theta, x[nt:]]), gtol=1e-5))
            tried.append("BFGS (random start)")
        if not converged:
            candidates.append(_nelder_mead(scaled, x))
            tried.append("Nelder-Mead")
        best = min(candidates, key=scaled)
        x = descend(best, gtol=1e-8) if best is not x else x
        gradient, hessian, converged = check(x)
    params = to_params(x)
    theta = canonical(design, params[:nt])
    # The Hessian in (theta, beta): gamma = R (beta - beta_0), and a theta whose sign
    # canonical() flipped flips its rows and columns.
    T = linalg.block_diag(np.diag(np.where(np.sign(theta) == np.sign(params[:nt]), 1.0, -1.0)),
                          R)
    return np.concatenate([theta, params[nt:]]), converged, tried, T.T @ hessian @ T


def _quasi_newton(function, x0, hess_inv0=None, gtol=1e-8, value_and_gradient=None):
    """BFGS from the inverse Hessian `hess_inv0` (default the identity), with the exact
    gradient of `value_and_gradient` or else optimize.py's central-difference gradient;
    returns SciPy's result, with its ``hess_inv``.

    Besides the gradient test, it stops once an iteration lowers the deviance by less than
    _DEVIANCE_STALL: the deviance is then within rounding of its minimum (BFGS converges
    superlinearly), and further iterations only chase the noise of the difference gradient.
    """
    last = [np.inf]

    def stall(intermediate_result):
        if value_and_gradient is None and last[0] - intermediate_result.fun < _DEVIANCE_STALL:
            raise StopIteration
        last[0] = intermediate_result.fun

    if value_and_gradient is None:
        objective, jac = function, (lambda x: _gradient(function, x))
    else:
        objective, jac = value_and_gradient, True
    with np.errstate(all="ignore"):  # far-out trial steps may overflow; they score inf
        return optimize.minimize(objective, x0, method="BFGS", jac=jac, callback=stall,
                                 options={"gtol": gtol, "maxiter": 2000, "hess_inv0": hess_inv0})


def _gradient_derivatives(value_and_gradient, x, step=1e-4):
    """The gradient at x and the Hessian by central differences of the exact gradient
    (2 len(x) evaluations, where deriv12's differences of the deviance take 2 len(x)^2 + 1)."""
    _, gradient = value_and_gradient(x)
    columns = []
    for e in np.eye(len(x)) * step:
        columns.append((value_and_gradient(x + e)[1] - value_and_gradient(x - e)[1]) / (2 * step))
    hessian = np.array(columns)
    value_and_gradient(x)  # leave PIRLS's warm start at x
    return gradient, (hessian + hessian.T) / 2


def _positive_definite(H):
    """H made exactly symmetric, or the identity if it is not positive definite."""
    H = (H + H.T) / 2
    return H if np.linalg.eigvalsh(H).min() > 0 else np.eye(len(H))


def _passes_check(gradient, hessian):
    """optimize.is_converged's rule (lme4's checkConv) on an already computed gradient, Hessian."""
    if not np.all(np.isfinite(gradient)):
        return False
    try:
        scaled = np.abs(linalg.solve_triangular(linalg.cholesky(hessian, lower=False), gradient))
    except (linalg.LinAlgError, ValueError):
        scaled = np.abs(gradient)
    return bool(np.max(np.minimum(scaled, np.abs(gradient))) < GRADIENT_TOLERANCE)
