"""numba kernel of the formula-gated channels (:mod:`.formula_gates`).

One call steps every entry of one HHChannelF or HHChannelF2D element: for
each gate, the two rate expressions (postfix programs of
:mod:`moosepy.kinetics.expr`, run by its compiled evaluator) at the gate's
inputs v and c give A and B [1/s] (alpha, alpha + beta; or inf/tau,
1/tau); the state steps by exponential Euler
``X <- X e^{-B dt} + (A/B)(1 - e^{-B dt})`` (exact for rates constant over
the step, first order in dt when they follow Vm; ``X + (A - B X) dt`` when
B ~ 0), or becomes A/B (``instant`` gates, and at reinit where the user
did not set it); ``Gk = Gbar modulation prod X^power``.
"""

import math

from ..jit import njit
from ..kinetics.kernels import eval_program


@njit(cache=True, nogil=True)
def formula_step(code, args, consts, st_start, st_end, st_slot, blk_first, blk_last,
                 tauinf, vin, cin, state, power, steady, g0, dt, xbuf, stack, gk):
    """Step (or, where *steady*, set to A/B) the gate states state[g, k] of
    every entry k; gk[k] = g0[k] prod_g state[g, k]^power[g, k].

    Statements st_start..st_end (ops in code/args/consts) assign slot
    st_slot (-1: none) of xbuf; block b (2 per gate: alpha or tau, beta
    or inf) runs statements blk_first[b]..blk_last[b] - 1 and its value
    is the last one's.  xbuf[0] = v, xbuf[1] = c; other slots start at 0.
    """
    ngate, n = state.shape
    for k in range(n):
        g = g0[k]
        for q in range(ngate):
            r0 = 0.0
            r1 = 0.0
            for half in range(2):
                b = 2 * q + half
                for s in range(xbuf.shape[0]):
                    xbuf[s] = 0.0
                xbuf[0] = vin[q, k]
                xbuf[1] = cin[q, k]
                val = 0.0
                for s in range(blk_first[b], blk_last[b]):
                    val = eval_program(code, args, consts, xbuf, 0.0, stack, st_start[s],
                                       st_end[s])
                    if st_slot[s] >= 0:
                        xbuf[st_slot[s]] = val
                if half == 0:
                    r0 = val
                else:
                    r1 = val
            if tauinf[q]:
                A = r1 / r0 if r0 != 0.0 else math.copysign(math.inf, r1)
                B = 1.0 / r0 if r0 != 0.0 else math.inf
            else:
                A = r0
                B = r0 + r1
            x = state[q, k]
            if steady[q, k]:
                x = A / B if B != 0.0 else 0.0
            elif B > 1e-15:
                e = math.exp(-B * dt)
                x = x * e + (A / B) * (1.0 - e)
            else:
                x = x + (A - B * x) * dt
            state[q, k] = x
            p = power[q, k]
            if p > 0.0:
                g *= x ** p
        gk[k] = g
