"""Benchmark kinetic models, written against the standard MOOSE python API.

Every builder takes the MOOSE module as its first argument, so the very same
code builds the model in real MOOSE (``import moose``) and in the clone
(``import moosepy as moose``)::

    import moose
    from benchmarks.kin_models import build_kin_small
    m = build_kin_small(moose)
    moose.reinit()
    moose.start(m['runtime'])

Only these API elements are used: CubeMesh, Neutral, Pool, Reac, MMenz,
Table2, Stoich, Ksolve, connect, exists, delete.  No setClock is called, so
MOOSE's default clocks apply (Ksolve on ticks 15 and 16 with dt 0.1 s,
Pools/Reacs/Enz have no tick (-1) and are driven by the Ksolve only,
Table2 on tick 18 with dt 1 s).  ``method=None`` leaves Ksolve's default
integration method (in pymoose 5.0.0 that is 'rk5').  The returned
'method' entry is the value read back from ksolve.method.

Each builder deletes ``path`` first if it exists, but NOT other models:
for timing, make sure only one model exists under '/' (MOOSE's clock
schedules every element in the tree).

Units are MOOSE's: concentrations in mM (== mol/m^3), volumes in m^3,
first-order rates in 1/s, second-order rates in 1/(mM s).
"""

import numpy as np

__all__ = ['build_kin_small', 'build_kin_large']


def _fresh(moose, path):
    if moose.exists(path):
        moose.delete(path)
    return moose.Neutral(path)


def _attach_solver(moose, root, mesh, method):
    # Standard MOOSE way: stoich + ksolve under the compartment, order
    # compartment -> ksolve -> reacSystemPath (reacSystemPath triggers build).
    ksolve = moose.Ksolve(mesh.path + '/ksolve')
    if method is not None:          # None: keep Ksolve's default method
        ksolve.method = method
    stoich = moose.Stoich(mesh.path + '/stoich')
    stoich.compartment = mesh
    stoich.ksolve = ksolve
    stoich.reacSystemPath = mesh.path + '/##'
    return stoich, ksolve


def _add_tables(moose, root, pools):
    graphs = moose.Neutral(root.path + '/graphs')
    tables = {}
    for name, pool in pools.items():
        tab = moose.Table2(graphs.path + '/' + name)
        moose.connect(tab, 'requestOut', pool, 'getConc')
        tables[name] = tab
    return tables


def build_kin_small(moose, path='/kin_small', method='lsoda'):
    """A + B <-> C ;  C --E(MM)--> P ;  P -> A + B  in one 1e-18 m^3 voxel."""
    root = _fresh(moose, path)
    mesh = moose.CubeMesh(path + '/compartment')
    mesh.volume = 1e-18

    pools = {}
    for name, c0 in (('A', 1.0), ('B', 0.8), ('C', 0.0), ('P', 0.0),
                     ('E', 0.01)):
        p = moose.Pool(mesh.path + '/' + name)
        p.concInit = c0
        pools[name] = p
    A, B, C, P, E = (pools[k] for k in 'ABCPE')

    r1 = moose.Reac(mesh.path + '/r1')
    moose.connect(r1, 'sub', A, 'reac')
    moose.connect(r1, 'sub', B, 'reac')
    moose.connect(r1, 'prd', C, 'reac')
    r1.Kf = 0.5        # 1/(mM s)
    r1.Kb = 0.05       # 1/s

    enz = moose.MMenz(E.path + '/mmenz')
    moose.connect(E, 'nOut', enz, 'enzDest')
    moose.connect(enz, 'sub', C, 'reac')
    moose.connect(enz, 'prd', P, 'reac')
    enz.Km = 0.2       # mM
    enz.kcat = 1.0     # 1/s

    r2 = moose.Reac(mesh.path + '/r2')
    moose.connect(r2, 'sub', P, 'reac')
    moose.connect(r2, 'prd', A, 'reac')
    moose.connect(r2, 'prd', B, 'reac')
    r2.Kf = 0.02       # 1/s
    r2.Kb = 0.0

    tables = _add_tables(moose, root, pools)
    stoich, ksolve = _attach_solver(moose, root, mesh, method)
    return {'root': root, 'mesh': mesh, 'pools': pools, 'tables': tables,
            'reacs': {'r1': r1, 'r2': r2}, 'enz': {'mmenz': enz},
            'stoich': stoich, 'ksolve': ksolve, 'method': ksolve.method,
            'runtime': 1000.0}


def _draw_network(rng, npools, nreacs, max_mass=4):
    """Random mass-balanced reaction list.  Pure numpy, independent of MOOSE.

    Each pool gets an integer mass in 1..max_mass.  A reaction has 1 or 2
    distinct substrates and 1 or 2 distinct products, no pool on both sides,
    and sum(mass[subs]) == sum(mass[prds]) exactly (by construction, with
    rejection of impossible draws), so sum(mass * n) is conserved.
    """
    mass = rng.integers(1, max_mass + 1, size=npools)
    by_mass = {m: np.flatnonzero(mass == m) for m in range(1, max_mass + 1)}
    reactions = []
    seen = set()
    while len(reactions) < nreacs:
        nsub = int(rng.integers(1, 3))
        nprd = int(rng.integers(1, 3))
        subs = [int(x) for x in rng.choice(npools, size=nsub, replace=False)]
        M = int(mass[subs].sum())
        if nprd == 1:
            cand = [int(x) for x in by_mass.get(M, []) if x not in subs]
            if not cand:
                continue
            prds = [cand[int(rng.integers(len(cand)))]]
        else:
            if M < 2:
                continue
            m1 = int(rng.integers(max(1, M - max_mass), min(max_mass, M - 1) + 1))
            c1 = [int(x) for x in by_mass[m1] if x not in subs]
            c2 = [int(x) for x in by_mass[M - m1] if x not in subs]
            if not c1 or not c2:
                continue
            p1 = c1[int(rng.integers(len(c1)))]
            c2 = [x for x in c2 if x != p1]
            if not c2:
                continue
            prds = [p1, c2[int(rng.integers(len(c2)))]]
        key = (tuple(sorted(subs)), tuple(sorted(prds)))
        if key in seen or key[::-1] in seen:
            continue
        seen.add(key)
        kf = float(10.0 ** rng.uniform(-2.0, 1.0))
        kb = float(10.0 ** rng.uniform(-2.0, 1.0))
        assert mass[subs].sum() == mass[prds].sum()
        reactions.append((subs, prds, kf, kb))
    conc0 = rng.uniform(0.0, 1.0, size=npools)
    return mass, reactions, conc0


def build_kin_large(moose, path='/kin_large', seed=1, method='lsoda',
                    npools=200, nreacs=400):
    """Seeded random mass-action network (200 pools, 400 reversible reacs).

    Returns dict with 'pools' (name -> Pool, in pool-index order), 'weights'
    (numpy int array aligned with that order; sum(w * n) and, with one
    voxel, sum(w * conc) are conserved), 'reactions' (list of
    (sub_indices, prd_indices, Kf, Kb), for independent checks), 'conc0'.
    """
    rng = np.random.default_rng(seed)
    mass, reactions, conc0 = _draw_network(rng, npools, nreacs)

    root = _fresh(moose, path)
    mesh = moose.CubeMesh(path + '/compartment')
    mesh.volume = 1e-18

    pools = {}
    plist = []
    for i in range(npools):
        name = 'p%03d' % i
        p = moose.Pool(mesh.path + '/' + name)
        p.concInit = float(conc0[i])
        pools[name] = p
        plist.append(p)

    reacs = {}
    for j, (subs, prds, kf, kb) in enumerate(reactions):
        r = moose.Reac(mesh.path + '/r%03d' % j)
        for s in subs:
            moose.connect(r, 'sub', plist[s], 'reac')
        for q in prds:
            moose.connect(r, 'prd', plist[q], 'reac')
        # Set rates after connecting, so conc-unit Kf/Kb map correctly.
        r.Kf = kf
        r.Kb = kb
        reacs[r.name] = r

    graphs = moose.Neutral(path + '/graphs')
    tables = {}
    for i in range(0, npools, 10):
        name = 'p%03d' % i
        tab = moose.Table2(graphs.path + '/' + name)
        moose.connect(tab, 'requestOut', plist[i], 'getConc')
        tables[name] = tab

    stoich, ksolve = _attach_solver(moose, root, mesh, method)
    return {'root': root, 'mesh': mesh, 'pools': pools, 'tables': tables,
            'reacs': reacs, 'stoich': stoich, 'ksolve': ksolve,
            'method': ksolve.method, 'runtime': 100.0,
            'weights': mass.astype(float), 'reactions': reactions,
            'conc0': conc0, 'seed': seed}
