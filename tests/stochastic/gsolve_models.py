"""Small models for the Gsolve tests, built through the MOOSE API, and the
exact oracles they are checked against (closed forms and the chemical master
equation solved with scipy.linalg.expm)."""

import numpy as np
from scipy.linalg import expm

import moosepy as moose

VOL = 1e-18


def make_mesh(path='/m', nx=1):
    mesh = moose.CubeMesh(path)
    mesh.x1, mesh.y1, mesh.z1 = 1e-6 * nx, 1e-6, 1e-6
    mesh.nx = nx
    return mesh


def reac(path, subs, prds, numKf, numKb=0.0):
    r = moose.Reac(path)
    for s in subs:
        moose.connect(r, 'sub', s, 'reac')
    for p in prds:
        moose.connect(r, 'prd', p, 'reac')
    r.numKf, r.numKb = numKf, numKb
    return r


def attach(mesh, method='ssa', seed=None):
    g = moose.Gsolve(mesh.path + '/gsolve')
    g.method = method
    if seed is not None:
        g.seed = seed
    s = moose.Stoich(mesh.path + '/stoich')
    s.compartment = mesh
    s.ksolve = g
    s.reacSystemPath = mesh.path + '/##'
    return g


def table(obj, field='getN'):
    t = moose.Table2(f'/m/{obj.name}_{field}')
    moose.connect(t, 'requestOut', obj, field)
    return t


def immigration_death(k_in=1.0, k_out=0.1, x0=0, method='ssa', seed=None):
    """0 -> X at k_in [#/s] (a held source pool of one molecule), X -> 0 at k_out."""
    mesh = make_mesh()
    src = moose.BufPool('/m/src')
    src.nInit = 1
    x = moose.Pool('/m/x')
    x.nInit = x0
    reac('/m/birth', [src], [src, x], k_in)
    reac('/m/death', [x], [], k_out)
    return attach(mesh, method, seed), x


def dimerisation(kf, kb, p0, method='ssa', seed=None):
    """2P <-> P2 with numKf = kf (propensity kf*P*(P-1)), numKb = kb."""
    mesh = make_mesh()
    p = moose.Pool('/m/P')
    p.nInit = p0
    p2 = moose.Pool('/m/P2')
    reac('/m/dim', [p, p], [p2], kf, kb)
    return attach(mesh, method, seed), p, p2


# ------------------------------------------------------------- oracles
def zy(samples, mu, sigma):
    """DSMTS statistics per time: Z = sqrt(n)(mean - mu)/sigma and
    Y = sqrt(n/2)(S^2/sigma^2 - 1) (S^2 the unbiased sample variance)."""
    n = samples.shape[1]
    m = samples.mean(axis=1)
    s2 = samples.var(axis=1, ddof=1)
    return np.sqrt(n) * (m - mu) / sigma, np.sqrt(n / 2) * (s2 / sigma ** 2 - 1)


def cme(Q, p0, times):
    """Distributions p(t) = p0 expm(Q t) of a finite CTMC with generator Q
    (rows sum to 0)."""
    return np.array([p0 @ expm(Q * t) for t in times])


def dimer_generator(kf, kb, p0):
    """States d = number of dimers 0..p0//2 (P = p0 - 2d)."""
    nd = p0 // 2 + 1
    Q = np.zeros((nd, nd))
    for d in range(nd):
        P = p0 - 2 * d
        a = kf * P * (P - 1)
        if d + 1 < nd:
            Q[d, d + 1] = a
        if d > 0:
            Q[d, d - 1] = kb * d
        Q[d, d] = -Q[d].sum()
    return Q
