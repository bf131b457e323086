"""``SteadyState``: fixed points of a compiled chemical system and their
stability (MOOSE's class of that name).

What this module owns: finding the steady state of the reaction system of
a :class:`~moosepy.kinetics.stoich.Stoich` driven by a
:class:`~moosepy.kinetics.ksolve.Ksolve`, nearest to the solver's current
state, with the conservation totals held fixed; the eigenvalues of the
Jacobian there; random starting points that keep the totals.  It does not
integrate in time (the Ksolve does) and works on voxel 0, as MOOSE does.

Method (units: molecules # per voxel, time s):

* The stoichiometry matrix ``N`` of the variable pools (buffered and
  Function-assigned pools are held) is reduced by Gaussian elimination of
  ``[N | I]``, always bringing up the row whose first non-zero entry is
  leftmost (MOOSE's rule, entries below 1e-9 are zero).  The first ``rank``
  rows give the independent rate combinations ``E·dn/dt``; the identity part
  of the remaining rows is ``gamma``, one conservation law per row, and
  ``total[i] = gamma[i]·n``.
* ``settle`` solves ``E·dn/dt(n) = 0``, ``gamma·n = total`` for the
  variable pools.  Like MOOSE it solves for ``s`` with ``n = s²`` (so the
  counts stay non-negative) with a Powell hybrid method (MINPACK through
  scipy, as GSL's ``hybrids``), falling back to Levenberg-Marquardt, then
  polishes with Newton steps on ``n`` (analytic Jacobian of the Ksolve
  kernels).  It converges when the summed residual is below
  ``convergenceCriterion`` times the number of molecules (per second for
  the rate rows); the solution is written into the Ksolve (``nVec[0]``, so
  the pools' ``n``/``conc``) only if it converged and no count is
  negative; otherwise the state is left as it was and ``solutionStatus``
  is 1.
* Stability: the eigenvalues of the Jacobian ``d(dn/dt)/dn`` restricted to
  the stoichiometric subspace (``rank`` of them, real parts, ascending),
  followed by ``numVarPools - rank`` zeros for the conserved directions.
  Counts of eigenvalues below -1e-9 and above 1e-9 give ``stateType`` as
  MOOSE codes it: 0 stable (all ``rank`` negative), 1 unstable (all
  positive), 2 saddle (one positive), 3 two or more positive (possibly
  oscillatory), 4 one zero and the rest negative, 5 other.

Where moosepy differs from MOOSE 5.0.0 (``SteadyStateGsl.cpp``): MOOSE's
Jacobian is a one-sided finite difference of the full system (its two
extra eigenvalues for conserved directions come out as noise near zero,
here they are exact zeros); ``nIter`` counts function evaluations of the
root finder; a system with no conservation law is solved (MOOSE refuses
it); errors (no Stoich, not a Stoich, index out of range) raise
:class:`~moosepy.core.errors.SolverError` / ``FieldError`` instead of
printing a warning; ``randomInit`` draws from moosepy's generator
(``moose.seed``), so its samples differ from MOOSE's.
"""

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError, SolverError
from ..core.fields import Field, LookupField, Dest

#: entries below this are zero in the elimination; eigenvalues within it are zero
EPSILON = 1e-9


def row_reduce(U, ncols):
    """Gaussian elimination of ``U`` (rows x (ncols + extra)) in place, by
    MOOSE's rule: at each step the row whose first non-zero entry among the
    first *ncols* columns is leftmost comes up (first such row on ties) and
    clears that column below it; entries below EPSILON become 0.  Returns
    the number of rows with a non-zero entry in the first *ncols* columns
    (the rank of that part)."""
    nrows = U.shape[0]
    rank = 0
    col = 0
    for i in range(nrows):
        best, best_col = -1, ncols
        for r in range(i, nrows):
            nz = np.nonzero(np.abs(U[r, col:ncols]) > EPSILON)[0]
            if len(nz) and col + nz[0] < best_col:
                best, best_col = r, col + nz[0]
        if best < 0:
            break
        if best != i:
            U[[i, best]] = U[[best, i]]
        col = best_col
        piv = U[i, col]
        for r in range(i + 1, nrows):
            f = U[r, col]
            if abs(f) > EPSILON:
                U[r, col + 1:] -= U[i, col + 1:] * (f / piv)
                U[r, np.abs(U[r]) < EPSILON] = 0.0
            U[r, col] = 0.0
        rank += 1
    return rank


class _System:
    """The reduced system of one Stoich's compiled model, voxel 0."""

    def __init__(self, comp):
        from .stoich import KB, K2
        self.comp = comp
        held = np.asarray(comp.arrays['held'])
        self.var = np.nonzero(held == 0)[0]
        m = len(self.var)
        self.m = m
        N = comp.stoich_matrix()[self.var]
        # MOOSE's columns: one per reaction (forward term), two per Enz (k1,
        # k3), one per MMenz; reactions first, in the Stoich's order
        rk, ro = comp.layout.rkind, comp.layout.robj
        keep = np.nonzero((rk != KB) & (rk != K2))[0]
        keep = keep[np.lexsort((rk[keep], ro[keep], rk[keep] > KB))]
        N = N[:, keep]
        self.ncols = N.shape[1]
        U = np.hstack([N, np.eye(m)])
        self.rank = row_reduce(U, self.ncols)
        self.LU = U
        self.Nr = U[:self.rank, :self.ncols]
        self.E = U[:self.rank, self.ncols:]
        self.gamma = U[self.rank:, self.ncols:]

    # state <-> variable pools of voxel 0
    def current(self):
        return np.array(self.comp.state[0, self.var], dtype=float)

    def full(self, x):
        y = np.array(self.comp.state.reshape(-1), dtype=float)
        y[self.var] = x
        return y

    def rhs(self, x):
        from . import kernels
        y = self.full(x)
        dy = np.empty_like(y)
        kernels.rhs(self.comp.t, y, dy, self.comp.I, self.comp.F)
        return dy[self.var]

    def jac(self, x):
        from . import kernels
        J = kernels.jac_odeint(self.full(x), self.comp.t, self.comp.I, self.comp.F)
        return J[np.ix_(self.var, self.var)]

    def residual(self, x, T):
        return np.concatenate([self.E @ self.rhs(x), self.gamma @ x - T])

    def residual_jac(self, x):
        return np.vstack([self.E @ self.jac(x), self.gamma])


class SteadyState(Neutral):
    """Finds the steady state of a Stoich's chemical system nearest its
    current state (conservation totals kept), and classifies it by the
    eigenvalues of the Jacobian.  Set ``stoich`` after the Stoich is set up;
    call ``settle()`` after ``moose.reinit()``."""

    badStoichiometry = Field(False, '', 'True if there is a problem with the stoichiometry',
                             type='bool', ro=True)
    isInitialized = Field(False, '', 'True once a Stoich has been assigned', type='bool',
                          ro=True)
    nIter = Field(0, '', 'Function evaluations of the last settle', type='unsigned int',
                  ro=True)
    status = Field('OK', '', "Outcome of the last settle ('success' or why it failed)",
                   type='string', ro=True)
    maxIter = Field(100, '', 'Most iterations of the root finder before it gives up',
                    type='unsigned int')
    convergenceCriterion = Field(1e-7, '', 'Accepted summed residual, as a fraction of the '
                                           'molecules in the system (per second for rates)')
    numVarPools = Field(0, '', 'Variable pools of the system', type='unsigned int', ro=True)
    rank = Field(0, '', 'Independent pools (rank of the stoichiometry matrix)',
                 type='unsigned int', ro=True)
    stateType = Field(0, '', '0 stable; 1 unstable; 2 saddle; 3 two or more positive '
                             'eigenvalues (oscillatory?); 4 one zero eigenvalue; 5 other',
                      type='unsigned int', ro=True)
    nNegEigenvalues = Field(0, '', 'Eigenvalues below -1e-9', type='unsigned int', ro=True)
    nPosEigenvalues = Field(0, '', 'Eigenvalues above 1e-9', type='unsigned int', ro=True)
    solutionStatus = Field(0, '', '0 good; 1 no steady state found; 2 eigenvalues failed',
                           type='unsigned int', ro=True)
    stoich = Field(None, '', 'The Stoich whose system is solved', type='object',
                   stored=False)
    total = LookupField('unsigned int', 'double', '#',
                        'Total of conservation law i (gamma[i]·n); assigning one makes the '
                        'next settle keep that total')
    eigenvalues = LookupField('unsigned int', 'double', '1/s',
                              'Real parts of the Jacobian eigenvalues at the last steady state')

    ports = (Dest('settle', 'void', 'Find the steady state nearest the current state'),
             Dest('resettle', 'void', 'Set the matrices up again, then settle'),
             Dest('setupMatrix', 'void', 'Set up the conservation matrices again'),
             Dest('showMatrices', 'void', 'Print the totals and the gamma, Nr and LU '
                                          'matrices'),
             Dest('randomInit', 'void', 'Random state with the current conservation '
                                        'totals'))

    # ------------------------------------------------------------ fields
    def _data(self):
        return self._el.data.setdefault(('ss', self._idx), {})

    def _get_stoich(self):
        s = self._data().get('stoich')
        return None if s is None or not s.alive else s.handle(0)

    def _set_stoich(self, v):
        from ..core.shell import resolve
        from .stoich import Stoich
        el = resolve(v)[0]
        if not issubclass(el.cls, Stoich):
            raise FieldError(f'{self.path} (SteadyState).stoich: expected a Stoich, got '
                             f'{el.path} ({el.cls.__name__})')
        d = self._data()
        d.clear()
        d['stoich'] = el
        c = self._el.cols
        c['isInitialized'][self._idx] = True
        comp = self._compiled(required=False)
        if comp is not None:
            self._setup(comp)
        else:
            # counts and rank now, as MOOSE gives them; totals at settle
            from .stoich import compile_stoich
            try:
                sysm = _System(compile_stoich(el))
            except SolverError:
                return
            c['numVarPools'][self._idx] = sysm.m
            c['rank'][self._idx] = sysm.rank

    def _set_convergenceCriterion(self, v):
        if not v > 1e-10:
            raise FieldError(f'{self.path} (SteadyState).convergenceCriterion: must be above '
                             f'1e-10, got {v!r}')
        self._el.cols['convergenceCriterion'][self._idx] = v

    def _lookup_total(self, i):
        tot = self._data().get('total')
        if tot is None:
            raise FieldError(f'{self.path} (SteadyState).total: no totals yet (assign stoich '
                             f'after moose.reinit(), or call settle)')
        return float(tot[self._index(i, len(tot), 'total')])

    def _lookupset_total(self, i, v):
        tot = self._data().get('total')
        if tot is None:
            raise FieldError(f'{self.path} (SteadyState).total: no totals yet (assign stoich '
                             f'after moose.reinit(), or call settle)')
        tot[self._index(i, len(tot), 'total')] = float(v)
        self._data()['reassign'] = True

    def _lookup_eigenvalues(self, i):
        ev = self._data().get('eig')
        if ev is None:
            raise FieldError(f'{self.path} (SteadyState).eigenvalues: none yet (call '
                             f'settle)')
        return float(ev[self._index(i, len(ev), 'eigenvalues')])

    def _index(self, i, n, name):
        i = int(i)
        if not 0 <= i < n:
            raise FieldError(f'{self.path} (SteadyState).{name}[{i}]: index out of range; '
                             f'valid 0..{n - 1}' if n else
                             f'{self.path} (SteadyState).{name}[{i}]: there are none')
        return i

    # ------------------------------------------------------------ setup
    def _compiled(self, required=True):
        st = self._data().get('stoich')
        if st is None or not st.alive:
            if required:
                raise SolverError(f'{self.path} (SteadyState): no stoich assigned (set '
                                  f'.stoich to the Stoich of the system)')
            return None
        ks = st.data.get('_ksolve')
        comp = None if ks is None else ks.data.get('compiled')
        if comp is not None and getattr(comp, 'I', None) is None:
            comp = None
        if comp is None and required:
            from .ksolve import Ksolve
            if ks is not None and not issubclass(ks.cls, Ksolve):
                raise SolverError(f'{self.path} (SteadyState): the solver of {st.path} is a '
                                  f'{ks.cls.__name__}; SteadyState works with a Ksolve')
            raise SolverError(f'{self.path} (SteadyState): {st.path} is not compiled yet; '
                              f'call moose.reinit() first')
        return comp

    def _system(self):
        comp = self._compiled()
        d = self._data()
        sysm = d.get('sys')
        if sysm is None or sysm.comp.layout is not comp.layout:
            sysm = self._setup(comp)
        sysm.comp = comp
        return sysm

    def _setup(self, comp):
        from .ksolve import Ksolve
        ks = comp.owner
        if not issubclass(ks.cls, Ksolve):
            raise SolverError(f'{self.path} (SteadyState): the solver {ks.path} is a '
                              f'{ks.cls.__name__}; SteadyState works with a Ksolve')
        sysm = _System(comp)
        if sysm.m == 0:
            raise SolverError(f'{self.path} (SteadyState): the system of '
                              f'{self._data()["stoich"].path} has no variable pools')
        d = self._data()
        d['sys'] = sysm
        d['total'] = sysm.gamma @ sysm.current()
        d['reassign'] = False
        c, i = self._el.cols, self._idx
        c['numVarPools'][i] = sysm.m
        c['rank'][i] = sysm.rank
        return sysm

    # ------------------------------------------------------------ dests
    def _recv_setupMatrix(self, *args):
        self._setup(self._compiled())

    def _recv_settle(self, *args):
        self._settle(False)

    def _recv_resettle(self, *args):
        self._settle(True)

    def _recv_showMatrices(self, *args):
        sysm = self._system()
        d = self._data()
        np.set_printoptions(linewidth=200)
        print('Totals:    ' + '    '.join(f'{t:g}' for t in d['total']))
        for name, a in (('gamma', sysm.gamma), ('Nr', sysm.Nr), ('LU', sysm.LU)):
            a = np.where(np.abs(a) < EPSILON, 0.0, a)
            print(f'{name}[{a.shape[0]}, {a.shape[1]}] = ')
            for row in a:
                print(''.join(f'{x:6g}' for x in row))

    def _recv_randomInit(self, *args):
        import moosepy
        sysm = self._system()
        x0 = sysm.current()
        T = sysm.gamma @ x0
        self._data()['total'] = T.copy()
        nc = len(T)
        m = sysm.m
        U = np.hstack([sysm.gamma, T[:, None]])
        row_reduce(U, m)
        y = np.zeros(m)
        for _try in range(100000):
            last = m
            y[:] = 0.0
            for i in range(nc - 1, -1, -1):
                nz = np.nonzero(np.abs(U[i, :m]) > EPSILON)[0]
                if not len(nz):
                    continue
                j = nz[0]
                y[j:last] = [moosepy.rand() for _ in range(last - j)]
                ytot = U[i, j:last] @ y[j:last]
                rest = U[i, last:m] @ y[last:m]
                if abs(ytot) <= EPSILON:
                    break
                y[j:last] *= (U[i, m] - rest) / ytot
                last = j
            if (y >= 0.0).all():
                break
        else:
            raise SolverError(f'{self.path} (SteadyState).randomInit: found no non-negative '
                              f'state with totals {T.tolist()} in 100000 tries')
        sysm.comp.state[0, sysm.var] = y

    # ------------------------------------------------------------ settle
    def _settle(self, force):
        from scipy.optimize import root
        sysm = self._setup(self._compiled()) if force else self._system()
        d = self._data()
        c, idx = self._el.cols, self._idx
        x0 = sysm.current()
        if d.get('reassign'):
            T = np.array(d['total'])
            d['reassign'] = False
        else:
            T = sysm.gamma @ x0
            d['total'] = T.copy()
        crit = float(c['convergenceCriterion'][idx])
        maxiter = int(c['maxIter'][idx])
        scale = max(1.0, float(np.abs(x0).sum()), float(np.abs(T).sum()))
        tol = crit * scale

        def fx(x):
            return sysm.residual(x, T)

        def jx(x):
            return sysm.residual_jac(x)

        def fs(s):
            return sysm.residual(s * s, T)

        def js(s):
            return sysm.residual_jac(s * s) * (2.0 * s)[None, :]

        # first Powell's hybrid method on n itself from the current state
        # (finds the nearest fixed point when it converges); then on s with
        # n = s*s (MOOSE's way; keeps n >= 0), from the state and from
        # slightly raised floors (s = 0 is a flat direction); then
        # Levenberg-Marquardt
        fev = maxiter * (sysm.m + 1)
        mean = scale / sysm.m
        tries = [(fx, jx, x0, 'hybr', False)]
        for floor in (0.0, 1e-6, 1e-3):
            tries.append((fs, js, np.sqrt(np.maximum(x0, floor * mean)), 'hybr', True))
        tries.append((fs, js, np.sqrt(np.maximum(x0, 1e-6 * mean)), 'lm', True))
        nfev = 0
        best = None
        for f, j, start, method, squared in tries:
            opts = ({'maxfev': fev, 'xtol': 1e-13} if method == 'hybr' else
                    {'maxiter': fev, 'xtol': 1e-15, 'ftol': 1e-15})
            with np.errstate(all='ignore'):
                try:
                    sol = root(f, start, jac=j, method=method, options=opts)
                except (ValueError, np.linalg.LinAlgError):
                    continue
            nfev += int(getattr(sol, 'nfev', 0) or 0)
            x = sol.x * sol.x if squared else sol.x
            if not np.all(np.isfinite(x)) or (x < 0.0).any():
                continue
            x = self._polish(sysm, x, T)
            res = np.abs(sysm.residual(x, T)).sum()
            if best is None or res < best[1]:
                best = (x, res)
            if res <= tol:
                break
        c['nIter'][idx] = nfev
        if best is not None and best[1] <= tol and (best[0] >= 0.0).all():
            c['status'][idx] = 'success'
            c['solutionStatus'][idx] = 0
            sysm.comp.state[0, sysm.var] = best[0]
            self._classify(sysm, best[0])
        else:
            c['status'][idx] = 'the iteration has not converged'
            c['solutionStatus'][idx] = 1

    @staticmethod
    def _polish(sysm, x, T):
        """Newton steps on n from x while they shrink; keeps x if a step
        would make a count negative."""
        with np.errstate(all='ignore'):
            for _ in range(20):
                F = sysm.residual(x, T)
                try:
                    dx = np.linalg.lstsq(sysm.residual_jac(x), -F, rcond=None)[0]
                except np.linalg.LinAlgError:
                    break
                xn = x + dx
                if not np.all(np.isfinite(xn)) or (xn < 0.0).any():
                    break
                if np.abs(sysm.residual(xn, T)).sum() > np.abs(F).sum():
                    break
                x = xn
                if np.abs(dx).max() <= 1e-14 * max(1.0, np.abs(x).max()):
                    break
        return x

    def _classify(self, sysm, x):
        c, idx = self._el.cols, self._idx
        J = sysm.jac(x)
        rank = sysm.rank
        # eigenvalues on the stoichiometric subspace (range of N): an
        # orthonormal basis Q of it; the conserved directions are exact zeros
        Nfull = sysm.comp.stoich_matrix()[sysm.var]
        if rank:
            u, _sv, _vt = np.linalg.svd(Nfull, full_matrices=False)
            Q = u[:, :rank]
            try:
                ev = np.linalg.eigvals(Q.T @ J @ Q)
            except np.linalg.LinAlgError:
                c['solutionStatus'][idx] = 2
                return
        else:
            ev = np.zeros(0)
        re = np.sort(ev.real)
        self._data()['eig'] = np.concatenate([re, np.zeros(sysm.m - rank)])
        nneg = int((re < -EPSILON).sum())
        npos = int((re > EPSILON).sum())
        c['nNegEigenvalues'][idx] = nneg
        c['nPosEigenvalues'][idx] = npos
        if nneg == rank:
            st = 0
        elif npos == rank:
            st = 1
        elif npos == 1:
            st = 2
        elif npos >= 2:
            st = 3
        elif nneg == rank - 1 and npos == 0:
            st = 4
        else:
            st = 5
        c['stateType'][idx] = st


__all__ = ['SteadyState', 'row_reduce']
