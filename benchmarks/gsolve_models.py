"""Stochastic benchmark models, written against the standard MOOSE python
API so that the same code builds them in real MOOSE (``import moose``) and
in moosepy (``import moosepy as moose``).

Every builder takes the module first and returns a dict with the Gsolve,
the pools, the run time [s] and the reactions.  Propensities follow MOOSE's
convention (a Reac with substrates X, X fires at numKf*X*(X-1)), so the
textbook constants are converted: c*X(X-1)/2 is numKf = c/2 and
c*X(X-1)(X-2)/6 is numKf = c/6.  Zero-order production uses a BufPool of
one molecule as substrate and product (held, so it never changes).
The compartment is 1e-18 m^3.
"""

import numpy as np

__all__ = ['MODELS', 'build']


def _mesh(moose, path, nx=1):
    if moose.exists(path):
        moose.delete(path)
    moose.Neutral(path)
    mesh = moose.CubeMesh(path + '/c')
    if nx == 1:
        mesh.volume = 1e-18
    else:
        mesh.x0 = mesh.y0 = mesh.z0 = 0.0
        mesh.x1, mesh.y1, mesh.z1 = 1e-6 * nx, 1e-6, 1e-6
        mesh.dx = mesh.dy = mesh.dz = 1e-6
        mesh.nx = nx
    return mesh


def _reac(moose, path, subs, prds, kf, kb=0.0):
    r = moose.Reac(path)
    for s in subs:
        moose.connect(r, 'sub', s, 'reac')
    for p in prds:
        moose.connect(r, 'prd', p, 'reac')
    r.numKf = kf
    r.numKb = kb
    return r


def _solver(moose, mesh, method=None):
    g = moose.Gsolve(mesh.path + '/gsolve')
    if method is not None:
        g.method = method
    s = moose.Stoich(mesh.path + '/stoich')
    s.compartment = mesh
    s.ksolve = g
    s.reacSystemPath = mesh.path + '/##'
    return g


def birth_death(moose, path='/bd', nx=1, runtime=500.0, x0=1000, method=None):
    """0 -> X at 1000/s, X -> 0 at 1/s, X0 = 1000."""
    mesh = _mesh(moose, path, nx)
    src = moose.BufPool(mesh.path + '/src')
    x = moose.Pool(mesh.path + '/X')
    r = [_reac(moose, mesh.path + '/birth', [src], [src, x], 1000.0),
         _reac(moose, mesh.path + '/death', [x], [], 1.0)]
    g = _solver(moose, mesh, method)
    # (MOOSE gives the pools one entry per voxel when the Stoich is built)
    moose.vec(src.path).nInit = np.ones(nx)
    moose.vec(x.path).nInit = np.full(nx, float(x0))
    return dict(gsolve=g, pools=[x], reacs=r, runtime=runtime)


def dimerisation(moose, path='/dim', method=None):
    """2P -> P2 with c = 0.002 (textbook c*P(P-1)/2), P2 -> 2P at 1/s, P0 = 1000."""
    mesh = _mesh(moose, path)
    p = moose.Pool(mesh.path + '/P')
    p.nInit = 1000
    p2 = moose.Pool(mesh.path + '/P2')
    r = [_reac(moose, mesh.path + '/dim', [p, p], [p2], 0.002 / 2, 1.0)]
    return dict(gsolve=_solver(moose, mesh, method), pools=[p, p2], reacs=r, runtime=2000.0)


def schlogl(moose, path='/schlogl', method=None):
    """Schloegl's model with the classic constants c1 = 3e-7, c2 = 1e-4,
    c3 = 1e-3, c4 = 3.5, A = 1e5, B = 2e5 (held), X0 = 250:
    A + 2X <-> 3X, B <-> X."""
    mesh = _mesh(moose, path)
    a = moose.BufPool(mesh.path + '/A')
    a.nInit = 1e5
    b = moose.BufPool(mesh.path + '/B')
    b.nInit = 2e5
    x = moose.Pool(mesh.path + '/X')
    x.nInit = 250
    r = [_reac(moose, mesh.path + '/r1', [a, x, x], [x, x, x], 3e-7 / 2, 1e-4 / 6),
         _reac(moose, mesh.path + '/r2', [b], [x], 1e-3, 3.5)]
    return dict(gsolve=_solver(moose, mesh, method), pools=[x], reacs=r, runtime=1000.0)


def random_network(moose, path='/net', nspecies=100, nreac=300, seed=1, method=None):
    """A seeded random network: 100 species (counts 500-2000) and 300
    irreversible reactions, half A -> B (k 0.05-0.5/s), half A + B -> C + D
    (numKf 5e-5-5e-4 per pair); every reaction keeps the molecule total."""
    rng = np.random.default_rng(seed)
    mesh = _mesh(moose, path)
    pools = []
    for i in range(nspecies):
        p = moose.Pool(f'{mesh.path}/S{i}')
        p.nInit = float(rng.integers(500, 2001))
        pools.append(p)
    reacs = []
    for j in range(nreac):
        if j % 2 == 0:
            a, b = rng.choice(nspecies, 2, replace=False)
            reacs.append(_reac(moose, f'{mesh.path}/R{j}', [pools[a]], [pools[b]],
                               float(rng.uniform(0.05, 0.5))))
        else:
            a, b, c, d = rng.choice(nspecies, 4, replace=False)
            reacs.append(_reac(moose, f'{mesh.path}/R{j}', [pools[a], pools[b]],
                               [pools[c], pools[d]], float(rng.uniform(5e-5, 5e-4))))
    return dict(gsolve=_solver(moose, mesh, method), pools=pools, reacs=reacs, runtime=10.0)


MODELS = {
    'birth-death': birth_death,
    'dimerisation': dimerisation,
    'schlogl': schlogl,
    'random-100x300': random_network,
}


def build(moose, name, **kw):
    return MODELS[name](moose, **kw)
