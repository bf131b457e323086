"""Numba kernels of the SBML engine: run an ordered list of statements over
the model's value vector, with delayed values read from the recorded
history and algebraic unknowns found by Newton's method.

Statement ``s`` writes ``v[target[s]]``.  Kind 0 evaluates the program
``code[a0[s]:a1[s]]``; kind 1 is ``delay(x, tau)``: ``tau`` is the program
``b0..b1`` evaluated now, and ``x`` (``a0..a1``) is evaluated on the value
vector interpolated linearly from the history at ``t - tau``.
"""

import numpy as np

from ...jit import njit
from ..expr import _eval_impl

_ev = njit(cache=True, nogil=True)(_eval_impl)


@njit(cache=True, nogil=True)
def run_statements(t, v, code, args, consts, kind, target, a0, a1, b0, b1, s0, s1,
                   stack, hist_t, hist_v, nhist, vtmp):
    for s in range(s0, s1):
        if kind[s] == 0:
            v[target[s]] = _ev(code, args, consts, v, t, stack, a0[s], a1[s])
        else:
            tau = _ev(code, args, consts, v, t, stack, b0[s], b1[s])
            td = t - tau
            if not (tau > 0.0):
                v[target[s]] = _ev(code, args, consts, v, t, stack, a0[s], a1[s])
            elif nhist == 0 or td <= hist_t[0]:
                # before the start: the initial state, with time-dependent
                # rules evaluated at the earlier time
                for i in range(v.shape[0]):
                    vtmp[i] = hist_v[0, i] if nhist > 0 else v[i]
                for s2 in range(s0, s1):
                    if kind[s2] == 0:
                        vtmp[target[s2]] = _ev(code, args, consts, vtmp, td, stack,
                                               a0[s2], a1[s2])
                v[target[s]] = _ev(code, args, consts, vtmp, td, stack, a0[s], a1[s])
            elif td >= hist_t[nhist - 1]:
                # between the last recorded point and now
                tl = hist_t[nhist - 1]
                w = (td - tl) / (t - tl) if t > tl else 1.0
                for i in range(v.shape[0]):
                    vtmp[i] = hist_v[nhist - 1, i] * (1.0 - w) + v[i] * w
                v[target[s]] = _ev(code, args, consts, vtmp, td, stack, a0[s], a1[s])
            else:
                lo = 0
                hi = nhist - 1
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if hist_t[mid] <= td:
                        lo = mid
                    else:
                        hi = mid
                dt = hist_t[hi] - hist_t[lo]
                w = (td - hist_t[lo]) / dt if dt > 0.0 else 1.0
                for i in range(v.shape[0]):
                    vtmp[i] = hist_v[lo, i] * (1.0 - w) + hist_v[hi, i] * w
                v[target[s]] = _ev(code, args, consts, vtmp, td, stack, a0[s], a1[s])


@njit(cache=True, nogil=True)
def evaluate(t, y, v, state_slots, deriv_slots, dy, code, args, consts, kind, target,
             a0, a1, b0, b1, s1, stack, hist_t, hist_v, nhist, vtmp, alg_u, alg_r, alg_nonneg):
    """Load state *y* into *v*, run the statements, solve algebraic rules,
    and write the derivatives into *dy*."""
    for i in range(state_slots.shape[0]):
        v[state_slots[i]] = y[i]
    nu = alg_u.shape[0]
    if nu == 0:
        run_statements(t, v, code, args, consts, kind, target, a0, a1, b0, b1, 0, s1,
                       stack, hist_t, hist_v, nhist, vtmp)
    else:
        F = np.empty(nu)
        F2 = np.empty(nu)
        J = np.empty((nu, nu))
        for it in range(60):
            run_statements(t, v, code, args, consts, kind, target, a0, a1, b0, b1, 0, s1,
                           stack, hist_t, hist_v, nhist, vtmp)
            err = 0.0
            for k in range(nu):
                F[k] = v[alg_r[k]]
                err = max(err, abs(F[k]))
            if err < 1e-14 or it == 59 or not np.isfinite(err):
                break
            for j in range(nu):
                u = v[alg_u[j]]
                h = 1e-7 * max(abs(u), 1e-6)
                v[alg_u[j]] = u + h
                run_statements(t, v, code, args, consts, kind, target, a0, a1, b0, b1, 0,
                               s1, stack, hist_t, hist_v, nhist, vtmp)
                for k in range(nu):
                    F2[k] = v[alg_r[k]]
                    J[k, j] = (F2[k] - F[k]) / h
                v[alg_u[j]] = u
            if not np.all(np.isfinite(J)):
                break
            try:
                du = np.linalg.solve(J, -F)
            except Exception:   # noqa: BLE001 - a singular J: least squares
                du = np.linalg.lstsq(J, -F)[0]
            # damped: unknowns that must stay >= 0 (amounts) never cross zero
            lam = 1.0
            for j in range(nu):
                if alg_nonneg[j] and v[alg_u[j]] + lam * du[j] < 0.0:
                    lam = min(lam, 0.9 * v[alg_u[j]] / (-du[j])) if v[alg_u[j]] > 0 else 0.0
            if lam <= 0.0:
                lam = 1.0
            small = True
            for j in range(nu):
                du[j] *= lam
                v[alg_u[j]] += du[j]
                if abs(du[j]) > 1e-13 * max(abs(v[alg_u[j]]), 1e-12):
                    small = False
            if small:
                run_statements(t, v, code, args, consts, kind, target, a0, a1, b0, b1, 0,
                               s1, stack, hist_t, hist_v, nhist, vtmp)
                break
    for i in range(deriv_slots.shape[0]):
        dy[i] = v[deriv_slots[i]]
