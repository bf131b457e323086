"""Many independent SSA trajectories of one model in one compiled call.

The model is the one a Gsolve's Stoich compiles (voxel 0); trajectory i
runs as voxel i of a copy of it, on stream i of the seed, so an ensemble is
reproducible and trajectory 0 of an ensemble is the trajectory of a
one-voxel Gsolve with the same seed::

    g = moose.Gsolve('/m/g'); ...; stoich.ksolve = g
    res = run_ensemble(g, 10000, np.arange(51.0), pools=['/m/x'], seed=1)
    res.counts.shape   # (51 times, 10000 trajectories, 1 pool)

The Gsolve's events (:mod:`moosepy.stochastic.events`) act in every
trajectory; ``res.event_fires[i, e]`` counts the firings of event e in
trajectory i.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import SolverError


@dataclass
class EnsembleResult:
    """Counts of the recorded pools at the sample times of every trajectory,
    with the record needed to reproduce them."""
    times: np.ndarray
    counts: np.ndarray          # (ntimes, ntraj, npools recorded) [#]
    pools: list
    seed: int
    method: str
    events: int
    cpu_s: float
    fires: np.ndarray = field(repr=False, default=None)   # (ntraj, reactions)
    event_ids: list = field(default_factory=list)          # the Gsolve's events
    event_fires: np.ndarray = field(repr=False, default=None)   # (ntraj, events)


class _Copy:
    pass


def _model_of(gsolve):
    from ..core.shell import element
    from ..kinetics.stoich import compile_stoich
    g = element(gsolve) if isinstance(gsolve, str) else gsolve
    st = g._el.data.get('stoich')
    if st is None or not st.alive:
        raise SolverError(f'{g.path} (Gsolve): no Stoich uses this Gsolve; set '
                          f'stoich.ksolve = gsolve first')
    return g, compile_stoich(st)


def run_ensemble(gsolve, ntraj, times, pools=None, seed=0, method=None, t_end=None,
                 rand_init=None, epsilon=None, n_critical=None):
    """Run *ntraj* independent trajectories of the Gsolve's model (voxel 0)
    from its initial counts, recording *pools* (paths or handles; default all)
    at the sorted *times* [s].  Nothing in the tree changes.

    method: 'ssa' (default: the Gsolve's) or 'tau'.  rand_init: round
    non-integer initial counts stochastically (default: the Gsolve's
    useRandInit)."""
    from . import kernels
    from .model import SsaModel
    g, comp = _model_of(gsolve)
    h = g
    method = h.method if method is None else method
    if method not in ('ssa', 'tau'):
        raise SolverError(f"run_ensemble: unknown method {method!r}; valid: 'ssa', 'tau'")
    rand_init = bool(h.useRandInit) if rand_init is None else bool(rand_init)
    ntraj = int(ntraj)
    times = np.ascontiguousarray(np.sort(np.asarray(times, dtype=float)))
    if t_end is None:
        t_end = float(times[-1]) if len(times) else 0.0
    paths = [p.path for p in comp.pool_els]
    if pools is None:
        idx = list(range(comp.npools))
    else:
        idx = []
        for p in pools:
            path = p if isinstance(p, str) else p.path
            path = path.replace('[0]', '')
            if path not in [q.replace('[0]', '') for q in paths]:
                raise SolverError(f'run_ensemble: {path} is not a pool of {g.path}')
            idx.append([q.replace('[0]', '') for q in paths].index(path))
    # the model, copied into ntraj voxels
    A = dict(comp.arrays)
    A['kk'] = np.repeat(np.asarray(A['kk'])[:1], ntraj, axis=0)
    A['km'] = np.repeat(np.asarray(A['km'])[:1], ntraj, axis=0)
    A['voxvol'] = np.repeat(np.asarray(A['voxvol'])[:1], ntraj)
    A['dims'] = [ntraj] + list(A['dims'][1:])
    c = _Copy()
    c.arrays, c.npools, c.nterms = A, comp.npools, comp.nterms
    c.pool_els, c.func_els = comp.pool_els, comp.func_els
    c.term_labels = comp.term_labels
    P = comp.npools
    y0 = np.array([p.cols['nInit'][0] for p in comp.pool_els], dtype=float)
    from .events import compile_events
    from .gsolve import _func_pools
    ev = compile_events(g, comp.pool_els)
    ssa = SsaModel(c, y0=y0, event_pools=ev.trig_pools)
    ev.check_held(g, ssa.held, _func_pools(comp))
    if ev.n and method == 'tau':
        raise SolverError(f"run_ensemble: the events of {g.path} ({', '.join(ev.ids)}) need "
                          f"the exact method 'ssa', not 'tau'")
    if np.any(~(y0 >= 0)):
        j = int(np.nonzero(~(y0 >= 0))[0][0])
        raise SolverError(f'{comp.pool_els[j].path}: initial count {y0[j]!r} is not >= 0')
    y = np.tile(y0, ntraj)
    rng = kernels.seed_streams(seed, ntraj)
    if ssa.nfunc:
        from ..kinetics import kernels as kk_mod
        kk_mod.assign(0.0, y, ssa.I, ssa.F)
    kernels.round_init(y, P, ssa.var, rng, rand_init)
    npr = len(idx)
    rec_ptr = (np.arange(ntraj + 1) * npr).astype(np.int64)
    rec_pool = np.tile(np.array(idx, dtype=np.int64), ntraj)
    rec_col = np.arange(ntraj * npr, dtype=np.int64)
    out = np.zeros((len(times), ntraj * npr))
    tnext = np.full(ntraj, -np.inf)
    fires = np.zeros((ntraj, ssa.R), dtype=np.int64)
    est = ev.state(ntraj)
    c0 = time.process_time()
    if method == 'tau':
        from . import tau
        eps = float(h.epsilon) if epsilon is None else float(epsilon)
        nc = int(h.nCritical) if n_critical is None else int(n_critical)
        res = tau.tau_run(y, P, ssa.kk, ssa.km, *ssa.kernel_args(), rng, tnext, fires, 0.0,
                          float(t_end), times, rec_ptr, rec_pool, rec_col, out, eps, nc)
        if res < 0:
            raise SolverError(f'{ssa.labels[-res - 1]}: a Function made its rate negative')
    else:
        from .events import run_ssa
        res = run_ssa(ssa, ev, est, y, P, rng, tnext, fires, 0.0, float(t_end), times,
                      rec_ptr, rec_pool, rec_col, out, f'run_ensemble of {g.path}')
    cpu = time.process_time() - c0
    return EnsembleResult(times=times, counts=out.reshape(len(times), ntraj, npr),
                          pools=[paths[j] for j in idx], seed=int(seed), method=method,
                          events=int(res), cpu_s=cpu, fires=fires,
                          event_ids=list(ev.ids), event_fires=est.counts)
