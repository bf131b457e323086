"""numba kernel of integrate-and-fire neurons over quiet steps (see
:func:`moosepy.core.clock._skip_quiet` and ``LIF._quiet_steps``): the
membrane of each entry followed step by step, as ``LIF._process`` does it,
with no input event, until the first step at which an entry would fire."""

from ..jit import njit


@njit(cache=True)
def lif_window(V0, t, refr_until, thresh, vinf, E, vreset, act, dt, out):
    """Fill out[k, i] with Vm of entry i after step k (times t[k]) while
    no entry fires; return the number of such steps.  Per step, as
    LIF._process: inside the refractory period (t < refr_until) Vm is
    vReset; else the activation act[i] [V/s] kept from the refractory
    period (0 for most entries) is added as act·dt, once, at the first
    step out of it; then a Vm above thresh fires (the window ends before
    that step), else Vm <- vinf + (Vm - vinf) E (exponential Euler).
    Units: V, s; E = exp(-B dt / Cm) and vinf = A / B computed by the
    caller."""
    n = t.shape[0]
    m = V0.shape[0]
    V = V0.copy()
    pend = act.copy()
    for k in range(n):
        tk = t[k]
        for i in range(m):
            if tk < refr_until[i]:
                continue
            if V[i] + pend[i] * dt > thresh[i]:
                return k
        for i in range(m):
            if tk < refr_until[i]:
                V[i] = vreset[i]
            else:
                if pend[i] != 0.0:
                    V[i] += pend[i] * dt
                    pend[i] = 0.0
                V[i] = vinf[i] + (V[i] - vinf[i]) * E[i]
            out[k, i] = V[i]
    return n
