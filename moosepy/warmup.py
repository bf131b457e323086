"""Compile moosepy's kernels ahead of time (``moosepy warmup``).

Three steps, each timed and logged on ``moosepy.warmup``:

1. **exercise**: small models run through the public API, one per solver
   path (Ksolve lsoda and the explicit Runge-Kutta variants with and
   without Functions, in one voxel and in several, Gsolve's exact and
   tau-leaping methods, an HSolve cell with channels, a Ca pool and a
   current pulse, the cell unsolved, diffusion by a Dsolve beside a
   Ksolve on a cylinder and on a CubeMesh), so that numba compiles (or loads from its cache) every kernel
   specialisation a usual script needs;
2. **harvest**: the specialisations numba's on-disk cache holds for the
   kernels from earlier runs (other models, other argument types) are
   added, for the kernels that Python code called in step 1 (the others
   are called only by kernels and are compiled into their callers);
3. **aot**: every specialisation whose arguments are numeric scalars and
   arrays is compiled by numba.pycc into one extension module per kernel
   module, in :func:`moosepy.jit.aot_dir`, with a manifest that
   :mod:`moosepy.jit` reads.  Later processes then run those kernels
   without importing numba.  This needs a C compiler; without one the
   AOT step is reported as skipped and the numba cache stays warm.
   numba.pycc has been "pending deprecation" since numba 0.57 and its
   announced replacement does not exist yet; should it go, this step
   reports itself skipped and everything runs on numba's cache.

What it does not do: change any kernel or its numerics (the AOT modules
are compiled from the same functions by the same numba pipeline).
"""

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time

from . import jit

log = logging.getLogger('moosepy.warmup')


# ------------------------------------------------------------ exercise models
def _chem(moose, path, method, functions, stiff=False, nvox=1, plain=False):
    """A + B <-> C, C -E(MM)-> P (*plain*: C -> P by mass action, the
    explicit integrators' fused right-hand side), P -> A + B in 1e-18 m^3
    voxels, with
    optionally a Function of time setting a buffered pool ('assign'), one
    of a pool setting numKf ('rate'), a fast C <-> Q (*stiff*: lsoda then
    uses the Jacobian) and *nvox* voxels (lsoda's banded Jacobian)."""
    root = moose.Neutral(path)
    mesh = moose.CubeMesh(path + '/compartment')
    if nvox > 1:
        mesh.x1, mesh.y1, mesh.z1 = nvox * 1e-6, 1e-6, 1e-6
        mesh.nx = nvox
    else:
        mesh.volume = 1e-18
    p = {}
    for name, c0 in (('A', 1.0), ('B', 0.8), ('C', 0.0), ('P', 0.0), ('E', 0.01)):
        p[name] = moose.Pool(f'{mesh.path}/{name}')
        p[name].concInit = c0
    r1 = moose.Reac(mesh.path + '/r1')
    for s in ('A', 'B'):
        moose.connect(r1, 'sub', p[s], 'reac')
    moose.connect(r1, 'prd', p['C'], 'reac')
    r1.Kf, r1.Kb = 0.5, 0.05
    if plain:
        enz = moose.Reac(mesh.path + '/cp')
        moose.connect(enz, 'sub', p['C'], 'reac')
        moose.connect(enz, 'prd', p['P'], 'reac')
        enz.Kf, enz.Kb = 1.0, 0.0
    else:
        enz = moose.MMenz(p['E'].path + '/mmenz')
        moose.connect(p['E'], 'nOut', enz, 'enzDest')
        moose.connect(enz, 'sub', p['C'], 'reac')
        moose.connect(enz, 'prd', p['P'], 'reac')
        enz.Km, enz.kcat = 0.2, 1.0
    r2 = moose.Reac(mesh.path + '/r2')
    moose.connect(r2, 'sub', p['P'], 'reac')
    for s in ('A', 'B'):
        moose.connect(r2, 'prd', p[s], 'reac')
    r2.Kf = 0.02
    if 'assign' in functions:
        s = moose.BufPool(mesh.path + '/S')
        f = moose.Function(mesh.path + '/fin')
        f.expr = '0.5 * (1 + sin(t))'
        moose.connect(f, 'valueOut', s, 'setConc')
        r3 = moose.Reac(mesh.path + '/r3')
        moose.connect(r3, 'sub', s, 'reac')
        moose.connect(r3, 'prd', p['C'], 'reac')
        r3.Kf = 0.01
    if stiff:
        q = moose.Pool(mesh.path + '/Q')
        fast = moose.Reac(mesh.path + '/fast')
        moose.connect(fast, 'sub', p['C'], 'reac')
        moose.connect(fast, 'prd', q, 'reac')
        fast.Kf, fast.Kb = 1e4, 1e4
    if 'rate' in functions:
        f = moose.Function(r2.path + '/rate')
        f.expr = '0.02 + 0.01 * x0 / (100 + x0)'
        moose.connect(p['A'], 'nOut', f.x[0], 'input')
        moose.connect(f, 'valueOut', r2, 'setNumKf')
    tab = moose.Table2(path + '/tC')
    moose.connect(tab, 'requestOut', p['C'], 'getConc')
    if method in ('ssa', 'tau'):
        solver = moose.Gsolve(mesh.path + '/gsolve')
        solver.method = method
        solver.seed = 1
    else:
        solver = moose.Ksolve(mesh.path + '/ksolve')
        solver.method = method
    stoich = moose.Stoich(mesh.path + '/stoich')
    stoich.compartment = mesh
    stoich.ksolve = solver
    stoich.reacSystemPath = mesh.path + '/##'
    return root, 10.0


def _cell(moose, path):
    """A soma and a 3-compartment dendrite with squid Na and K channels, a
    Ca pool fed by the K current, a current pulse, a Vm table, HSolve."""
    import numpy as np
    root = moose.Neutral(path)
    v = np.linspace(-0.1, 0.05, 151) * 1e3 + 65.0      # mV above rest
    with np.errstate(divide='ignore', invalid='ignore'):
        am = np.where(np.abs(25 - v) < 1e-9, 1.0, 0.1 * (25 - v) / (np.exp((25 - v) / 10) - 1))
        an = np.where(np.abs(10 - v) < 1e-9, 0.1, 0.01 * (10 - v) / (np.exp((10 - v) / 10) - 1))
    bm, ah, bh = 4 * np.exp(-v / 18), 0.07 * np.exp(-v / 20), 1 / (np.exp((30 - v) / 10) + 1)
    bn = 0.125 * np.exp(-v / 80)
    comps = []
    for i in range(4):
        c = moose.Compartment(f'{path}/c{i}')
        length, diam = (20e-6, 20e-6) if i == 0 else (10e-6, 1e-6)
        area = np.pi * diam * length
        c.Rm, c.Cm, c.Ra = 1 / (3.0 * area), 0.01 * area, 0.354 * length / (np.pi * diam ** 2 / 4)
        c.Em, c.initVm = -0.0543, -0.065
        c.length, c.diameter = length, diam
        for name, g, ek, gates in (('Na', 1200.0, 0.05, ((3, am, bm), (1, ah, bh))),
                                   ('K', 360.0, -0.077, ((4, an, bn),))):
            ch = moose.HHChannel(f'{c.path}/{name}')
            ch.Ek, ch.Gbar = ek, g * area
            ch.Xpower = gates[0][0]
            if len(gates) > 1:
                ch.Ypower = gates[1][0]
            for gname, (_, a, b) in zip(('gateX', 'gateY'), gates):
                gate = moose.element(f'{ch.path}/{gname}')
                gate.min, gate.max = -0.1, 0.05
                gate.tableA, gate.tableB = a * 1e3, (a + b) * 1e3
            moose.connect(ch, 'channel', c, 'channel')
        if comps:
            moose.connect(comps[-1], 'axial', c, 'raxial')
        comps.append(c)
    ca = moose.CaConc(comps[0].path + '/Ca')
    ca.tau, ca.B, ca.CaBasal = 0.02, 1e9, 5e-5
    moose.connect(moose.element(comps[0].path + '/K'), 'IkOut', ca, 'current')
    pg = moose.PulseGen(path + '/stim')
    pg.firstDelay, pg.firstWidth, pg.firstLevel, pg.secondDelay = 1e-3, 2e-3, 1e-10, 1e9
    moose.connect(pg, 'output', comps[0], 'injectMsg')
    tab = moose.Table(path + '/vm')
    moose.connect(tab, 'requestOut', comps[-1], 'getVm')
    for tick in range(10):
        moose.setClock(tick, 25e-6)
    hs = moose.HSolve(path + '/hsolve')
    hs.dt, hs.target = 25e-6, comps[0].path
    return root, 0.005


def _unsolved(moose, path):
    """The same cell without HSolve, pulse and Ca pool: its compartments and
    channels are stepped by the compiled unsolved path (eesolve)."""
    root, runtime = _cell(moose, path)
    for p in ('/hsolve', '/stim', '/c0/Ca'):
        moose.delete(path + p)
    return root, runtime


def _function(moose, path):
    """A Function outside any solver, reading an unsolved pool and
    setting another: evaluated from Python on its tick."""
    root = moose.Neutral(path)
    mesh = moose.CubeMesh(path + '/compartment')
    mesh.volume = 1e-18
    a = moose.BufPool(mesh.path + '/a')
    a.concInit = 1.0
    b = moose.BufPool(mesh.path + '/b')
    f = moose.Function(mesh.path + '/f')
    f.expr = '2 * x0 + t'
    f.x.num = 1
    moose.connect(a, 'nOut', f.x[0], 'input')
    moose.connect(f, 'valueOut', b, 'setN')
    return root, 1.0


def _ksolve_dsolve(moose, m):
    """A Stoich with a Ksolve and a Dsolve over everything in mesh *m*."""
    st = moose.Stoich(m.path + '/stoich')
    st.compartment = m
    st.ksolve = moose.Ksolve(m.path + '/ksolve')
    st.dsolve = moose.Dsolve(m.path + '/dsolve')
    st.reacSystemPath = m.path + '/##'


def _diffusion(moose, path, method='rk5'):
    """A 20-voxel CylMesh: a diffusing pool in A <-> B, Ksolve (*method*)
    and Dsolve (the Dsolve's tree kernel), two chemical ticks in one call
    (the compiled tick loop, kinetics.dloop)."""
    root = moose.Neutral(path)
    m = moose.CylMesh(path + '/cyl')
    m.x1, m.diffLength = 20e-6, 1e-6
    a = moose.Pool(m.path + '/A')
    b = moose.Pool(m.path + '/B')
    a.diffConst, a.concInit = 1e-12, 1.0
    r = moose.Reac(m.path + '/r')
    moose.connect(r, 'sub', a, 'reac')
    moose.connect(r, 'prd', b, 'reac')
    _ksolve_dsolve(moose, m)
    moose.element(m.path + '/ksolve').method = method
    return root, 0.2


def _diffusion_cube(moose, path):
    """A 2 x 2 x 1 CubeMesh with a diffusing pool, Ksolve and Dsolve (a mesh
    that is not a tree: the Dsolve's sparse LU kernel)."""
    root = moose.Neutral(path)
    m = moose.CubeMesh(path + '/cube')
    m.x0, m.y0, m.z0 = 0.0, 0.0, 0.0
    m.x1, m.y1, m.z1 = 2e-6, 2e-6, 1e-6
    m.dx, m.dy, m.dz = 1e-6, 1e-6, 1e-6
    a = moose.Pool(m.path + '/A')
    a.diffConst, a.concInit = 1e-12, 1.0
    _ksolve_dsolve(moose, m)
    return root, 0.2


def _two_cubes(moose, path, xreac):
    """Two CubeMeshes side by side, each with a Ksolve and a Dsolve joined
    by a junction: a pool of one name in both diffuses across it
    (dkernels.junction_exchange); with *xreac*, a reaction of a pool in
    each (fixXreacs' proxies: junction_step and xfer_step)."""
    from . import fixXreacs
    root = moose.Neutral(path)
    meshes = []
    for k, x0 in enumerate((0.0, 1e-6)):
        m = moose.CubeMesh(f'{path}/m{k}')
        m.x0, m.x1, m.y0, m.y1, m.z0, m.z1 = x0, x0 + 1e-6, 0.0, 1e-6, 0.0, 1e-6
        m.dx, m.dy, m.dz = 1e-6, 1e-6, 1e-6
        a = moose.Pool(m.path + '/a')
        a.diffConst, a.concInit = 1e-12, 1.0 - k
        meshes.append(m)
    if xreac:
        b = moose.Pool(meshes[1].path + '/b')
        c = moose.Pool(meshes[0].path + '/c')
        b.concInit = 0.5
        r = moose.Reac(meshes[0].path + '/r')
        moose.connect(r, 'sub', meshes[0].path + '/a', 'reac')
        moose.connect(r, 'sub', b, 'reac')
        moose.connect(r, 'prd', c, 'reac')
        fixXreacs.fixXreacs(path)
    ds = []
    for m in meshes:
        _ksolve_dsolve(moose, m)
        ds.append(moose.element(m.path + '/dsolve'))
    ds[1].buildMeshJunctions(ds[0])
    return root, 0.3


def _bridge(moose, path):
    """A soma and two dendrite compartments under HSolve (a Ca channel
    feeding a CaConc, a K channel), a NeuroMesh over them with a diffusing
    Ca pool (Ksolve + Dsolve), an Adaptor from the CaConc into the pool and
    one from the pool into the K channel's Gbar, a Vm table and a Table2 of
    the pool: the Adaptor-paced run (core.pkernels).  Sets ticks 0-18; keep
    it last."""
    import numpy as np
    root = moose.Neutral(path)
    moose.Neutral(path + '/cell')
    comps, x = [], 0.0
    for i, (length, dia) in enumerate(((10e-6, 10e-6), (10e-6, 2e-6), (10e-6, 2e-6))):
        c = moose.Compartment(f'{path}/cell/c{i}')
        c.length, c.diameter = length, dia
        c.x0, c.x, c.y0, c.y, c.z0, c.z = x, x + length, 0.0, 0.0, 0.0, 0.0
        area = np.pi * dia * length
        c.Rm, c.Cm, c.Ra = 1.0 / area, 0.01 * area, length / (np.pi * dia * dia / 4)
        c.Em = c.initVm = -0.065
        if comps:
            moose.connect(comps[-1], 'axial', c, 'raxial')
        comps.append(c)
        x += length
    chans = []
    for name, ek, g in (('Ca', 0.08, 1e-11), ('K', -0.09, 1e-9)):
        ch = moose.HHChannel(f'{comps[1].path}/{name}')
        ch.Ek, ch.Gbar, ch.Xpower = ek, g, 1
        moose.element(ch.path + '/gateX').setupAlpha(
            [100.0, 0, 0, 0, 1e9, 100.0, 0, 0, 0, 1e9, 300, -0.1, 0.05])
        moose.connect(ch, 'channel', comps[1], 'channel')
        chans.append(ch)
    ca = moose.CaConc(comps[1].path + '/Ca_conc')
    ca.length, ca.diameter, ca.thick = 10e-6, 2e-6, 0.1e-6
    ca.CaBasal, ca.tau = 1e-4, 0.02
    moose.connect(chans[0], 'IkOut', ca, 'current')
    comps[0].inject = 1e-11
    for tick in range(10):
        moose.setClock(tick, 50e-6)
    for tick in (10, 11, 16, 18):
        moose.setClock(tick, 0.005)
    hs = moose.HSolve(path + '/cell/hsolve')
    hs.dt, hs.target = 50e-6, comps[0].path
    mesh = moose.NeuroMesh(path + '/dend')
    pool = moose.Pool(mesh.path + '/Ca')
    pool.diffConst, pool.concInit = 1e-11, 1e-4
    mesh.diffLength = 10e-6
    mesh.subTreePath = path + '/cell/##'
    _ksolve_dsolve(moose, mesh)
    a1 = moose.Adaptor(path + '/ad1')
    moose.connect(a1, 'requestOut', ca, 'getCa')
    moose.connect(a1, 'output', moose.element(f'{path}/dend/Ca[1]'), 'setConc')
    a2 = moose.Adaptor(path + '/ad2')
    moose.connect(a2, 'requestOut', moose.element(f'{path}/dend/Ca[1]'), 'getConc')
    moose.connect(a2, 'output', chans[1], 'setGbar')
    a2.scale = 1e-5
    vm = moose.Table(path + '/vm')
    moose.connect(vm, 'requestOut', comps[0], 'getVm')
    tc = moose.Table2(path + '/ca')
    moose.connect(tc, 'requestOut', moose.element(f'{path}/dend/Ca[0]'), 'getConc')
    return root, 0.02


EXERCISES = (
    ('chemistry, lsoda', lambda m, p: _chem(m, p, 'lsoda', ())),
    ('chemistry, lsoda with Functions', lambda m, p: _chem(m, p, 'lsoda', ('assign', 'rate'))),
    ('chemistry, lsoda, stiff', lambda m, p: _chem(m, p, 'lsoda', (), stiff=True)),
    ('chemistry, lsoda, mass action only', lambda m, p: _chem(m, p, 'lsoda', (), plain=True)),
    ('chemistry, lsoda, stiff, 3 voxels',
     lambda m, p: _chem(m, p, 'lsoda', (), stiff=True, nvox=3)),
    ('chemistry, rk5', lambda m, p: _chem(m, p, 'rk5', ())),
    ('chemistry, rk5 with an assigning Function', lambda m, p: _chem(m, p, 'rk5', ('assign',))),
    ('chemistry, rk5 with a rate Function', lambda m, p: _chem(m, p, 'rk5', ('assign', 'rate'))),
    ('chemistry, rk5, mass action only', lambda m, p: _chem(m, p, 'rk5', (), plain=True)),
    ('chemistry, rk5, mass action only, with an assigning Function',
     lambda m, p: _chem(m, p, 'rk5', ('assign',), plain=True)),
    ('chemistry, rkck', lambda m, p: _chem(m, p, 'rkck', ())),
    ('chemistry, rkck with an assigning Function', lambda m, p: _chem(m, p, 'rkck', ('assign',))),
    ('chemistry, rkck with a rate Function',
     lambda m, p: _chem(m, p, 'rkck', ('assign', 'rate'))),
    ('chemistry, rkck, mass action only', lambda m, p: _chem(m, p, 'rkck', (), plain=True)),
    ('chemistry, rkck, mass action only, with an assigning Function',
     lambda m, p: _chem(m, p, 'rkck', ('assign',), plain=True)),
    ('a Function stepped on its own tick', lambda m, p: _function(m, p)),
    ('chemistry, rk5, 3 voxels', lambda m, p: _chem(m, p, 'rk5', (), nvox=3)),
    ('chemistry, rk5 with an assigning Function, 3 voxels',
     lambda m, p: _chem(m, p, 'rk5', ('assign',), nvox=3)),
    ('stochastic, ssa', lambda m, p: _chem(m, p, 'ssa', ('assign', 'rate'))),
    ('stochastic, tau-leaping', lambda m, p: _chem(m, p, 'tau', ())),
    ('cell, HSolve', _cell),
    ('unsolved compartments and channels (exponential Euler)', _unsolved),
    ('diffusion, Ksolve + Dsolve', _diffusion),
    ('diffusion, Ksolve rkck + Dsolve', lambda m, p: _diffusion(m, p, 'rkck')),
    ('diffusion on a CubeMesh (sparse LU)', _diffusion_cube),
    ('diffusion across a junction between two Dsolves', lambda m, p: _two_cubes(m, p, False)),
    ('a reaction across a junction (fixXreacs proxies)', lambda m, p: _two_cubes(m, p, True)),
    ('an HSolve and a Ksolve + Dsolve paced by Adaptors (keep last: sets the ticks)',
     _bridge),
)


def known_groups():
    """The kernel modules declared so far (those imported)."""
    return sorted({k.group for k in jit.kernels()})


def exercise(names=None):
    """Run the exercise models (all, or those whose label contains one of
    *names*); returns [(label, seconds)]."""
    import moosepy as moose
    todo = [(lab, fn) for lab, fn in EXERCISES
            if not names or any(n in lab for n in names)]
    done = []
    for i, (label, build) in enumerate(todo):
        path = '/moosepy_warmup'
        if moose.exists(path):
            moose.delete(path)
        t0 = time.perf_counter()
        root, runtime = build(moose, path)
        moose.reinit()
        moose.start(runtime)
        moose.delete(root)
        dt = time.perf_counter() - t0
        log.info('[%d/%d] %s: %.1f s', i + 1, len(todo), label, dt)
        done.append((label, dt))
    return done


# --------------------------------------------------------------- harvesting
def harvest():
    """Load every specialisation numba's on-disk cache holds for the
    kernels (of this numba, CPU and source); returns how many were new."""
    numba = jit.use_numba()
    from numba.core.registry import cpu_target
    codegen = cpu_target.target_context.codegen()
    added = 0
    for k in jit.kernels():
        disp = k.dispatcher
        cache = getattr(disp, '_cache', None)
        try:
            index = cache._cache_file._load_index()
            impl_key = cache._index_key
        except Exception:            # numba without these internals: skip
            continue
        for key in list(index):
            sig = key[0]
            if not isinstance(sig, tuple) or tuple(sig) in disp.overloads:
                continue
            try:
                if impl_key(sig, codegen) != key:
                    continue
                disp.compile(sig)
                added += 1
            except Exception as exc:    # a stale entry: numba would recompile
                log.debug('harvest %s %s: %s', k.key, sig, exc)
    del numba
    return added


# ------------------------------------------------------------------- AOT
@contextlib.contextmanager
def python_calls():
    """Record which kernels Python code calls (not kernels calling kernels):
    yields a set that fills with their functions' ids.  numba's dispatcher
    goes through ``_compile_for_args`` for the first call of each argument
    type from Python in a process, and never for a call from compiled code."""
    from numba.core import dispatcher
    seen = set()
    orig = dispatcher.Dispatcher._compile_for_args

    def compile_for_args(self, *args, **kws):
        seen.add(id(self.py_func))
        return orig(self, *args, **kws)

    dispatcher.Dispatcher._compile_for_args = compile_for_args
    try:
        yield seen
    finally:
        dispatcher.Dispatcher._compile_for_args = orig


def specialisations(called=None):
    """{group: {kernel key: (py_func, [(spec, numba signature), ...])}} of the
    compiled, AOT-eligible specialisations of every kernel (of those whose
    function ids are in *called*, when given: kernels that only other
    kernels call need no module of their own)."""
    out = {}
    seen = set()
    for k in jit.kernels():
        if k.options.get('inline') == 'always' or k._disp is None or k.key in seen:
            continue
        if called is not None and id(k.py_func) not in called:
            continue
        seen.add(k.key)
        ents = []
        for args, cres in sorted(k._disp.overloads.items(), key=lambda x: str(x[0])):
            spec = tuple(jit.spec_of(t) for t in args)
            if any(s is None for s in spec):
                continue
            ents.append((spec, cres.signature))
        if ents:
            out.setdefault(k.group, {})[k.key] = (k.py_func, ents)
    return out


def _group_files(group):
    """Source files (relative to the package) an AOT group depends on: its
    module, the files of its kernels' functions, and the same for every
    group whose kernels its module's globals hold (calls between kernel
    modules)."""
    import sys
    groups = {}
    for k in jit.kernels():
        groups.setdefault(id(k.py_func), set()).add(k.group)

    def rel(f):
        return os.path.relpath(os.path.realpath(f), jit.PACKAGE_DIR)

    files, todo, seen = set(), [group], set()
    while todo:
        g = todo.pop()
        if g in seen or g not in sys.modules:
            continue
        seen.add(g)
        files.add(rel(sys.modules[g].__file__))
        files.update(rel(k.py_func.__code__.co_filename) for k in jit.kernels() if k.group == g)
        for v in list(vars(sys.modules[g]).values()):
            todo.extend(groups.get(id(getattr(v, 'py_func', None)), ()))
    return sorted(files)


def _compile_module(modname, kernels, out_dir, target_cpu):
    """One extension module of *kernels* ({key: (py_func, [(spec, signature)])})
    in *out_dir*; returns (file name, {key: [[module, export, spec], ...]})."""
    import warnings
    with warnings.catch_warnings():
        # pycc is "pending deprecation" since numba 0.57 with no replacement
        # yet; it is the AOT compiler numba ships (see the module docstring)
        warnings.simplefilter('ignore')
        from numba.pycc import CC
    cc = CC(modname, 'moosepy.jit')
    cc.output_dir = tempfile.mkdtemp(prefix='moosepy-aot-', dir=out_dir)
    cc.target_cpu = target_cpu
    entries = {}
    n = 0
    for key, (py_func, ents) in sorted(kernels.items()):
        rows = []
        for spec, sig in ents:
            cc.export(f'k{n}', sig)(py_func)
            rows.append([modname, f'k{n}', json.loads(json.dumps(spec))])
            n += 1
        entries[key] = rows
    try:
        cc.compile()
        os.replace(os.path.join(cc.output_dir, cc.output_file),
                   os.path.join(out_dir, cc.output_file))
    finally:
        shutil.rmtree(cc.output_dir, ignore_errors=True)
    return cc.output_file, entries


def _first_line(exc):
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def build_aot(out_dir=None, target_cpu='host', exercised=None, called=None):
    """Compile the AOT modules of every specialisation compiled in this
    process; returns {group: (number of entries, seconds)}.

    A group is one module; if that does not compile (numba.pycc typed a
    function differently with another in the same module, seen with
    Gsolve's kernels; or an entry harvested from numba's cache is older
    than a function it calls, which that cache does not track), each
    kernel gets a module of its own, and a kernel that still fails is
    retried with only the *exercised* specialisations (a set of (kernel
    key, spec)), then left to numba.  The manifest is written last; a
    group's old modules are removed once the new ones are in place."""
    out_dir = jit.aot_dir() if out_dir is None else out_dir
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    env = jit.environment()
    man_path = os.path.join(out_dir, jit.MANIFEST)
    try:
        with open(man_path) as fh:
            manifest = json.load(fh)
        if manifest.get('environment') != env:
            manifest = {}
    except (OSError, ValueError):
        manifest = {}
    groups = manifest.setdefault('groups', {})
    manifest['environment'] = env
    specs = specialisations(called)
    result = {}
    for gi, (group, kernels) in enumerate(sorted(specs.items())):
        t0 = time.perf_counter()
        head = f'[{gi + 1}/{len(specs)}] AOT {group}'
        files = _group_files(group)
        tag = jit.source_tag(files)
        base = f'moosepy_aot_{group.replace(".", "_")}_{tag[:12]}'
        nent = sum(len(e) for _, e in kernels.values())
        old = groups.get(group)
        want = json.loads(json.dumps({k: [s for s, _ in e] for k, (_, e) in kernels.items()}))
        if old and old['tag'] == tag and \
                all(os.path.exists(os.path.join(out_dir, f)) for f in old['modules'].values()) \
                and {k: [r[2] for r in v] for k, v in old['entries'].items()} == want:
            log.info('%s: up to date (%d specialisations)', head, nent)
            result[group] = (nent, 0.0)
            continue
        log.info('%s: compiling %d specialisations of %d kernels ...', head, nent, len(kernels))
        modules, entries = {}, {}
        try:
            f, e = _compile_module(base, kernels, out_dir, target_cpu)
            modules[base], entries = f, e
        except Exception as exc:
            log.info('%s: not as one module (%s); one module per kernel', head, _first_line(exc))
            for i, (key, (py_func, ents)) in enumerate(sorted(kernels.items())):
                tries = [ents]
                ex = [e for e in ents if (key, e[0]) in (exercised or ())]
                if ex and len(ex) < len(ents):
                    tries.append(ex)
                for ents_ in tries:
                    try:
                        f, e = _compile_module(f'{base}_{i}', {key: (py_func, ents_)},
                                               out_dir, target_cpu)
                    except Exception as exc2:
                        err = exc2
                        continue
                    modules[f'{base}_{i}'] = f
                    entries.update(e)
                    break
                else:
                    log.warning('%s: %s stays on numba (%s)', head, key, _first_line(err))
        if not modules:
            result[group] = (0, time.perf_counter() - t0)
            continue
        for f in (old or {}).get('modules', {}).values():
            if f not in modules.values():
                try:
                    os.remove(os.path.join(out_dir, f))
                except OSError:
                    pass
        groups[group] = {'tag': tag, 'files': files, 'modules': modules, 'entries': entries}
        n = sum(len(r) for r in entries.values())
        dt = time.perf_counter() - t0
        log.info('%s: %d specialisations in %d module%s, %.1f s', head, n, len(modules),
                 '' if len(modules) == 1 else 's', dt)
        result[group] = (n, dt)
    tmp = man_path + '.tmp'
    with open(tmp, 'w') as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
    os.replace(tmp, man_path)
    jit.forget_aot()
    return result


def warmup(aot=True, names=None, out_dir=None):
    """Compile every kernel: run the exercise models, harvest numba's cache,
    build the AOT modules (if *aot*).  Returns a summary dict with the
    seconds each step took."""
    t0 = time.perf_counter()
    jit.use_numba()
    with python_calls() as called:
        summary = {'exercise': exercise(names)}
    exercised = {(k, spec) for g in specialisations(called).values()
                 for k, (_, ents) in g.items() for spec, _ in ents}
    t1 = time.perf_counter()
    summary['harvested'] = harvest() if not names else 0
    t2 = time.perf_counter()
    log.info('numba: kernels compiled or loaded in %.1f s (%d more specialisations from '
             'the cache)', t2 - t0, summary['harvested'])
    summary['aot'] = None
    if aot:
        try:
            summary['aot'] = build_aot(out_dir, exercised=exercised, called=called)
        except Exception as exc:
            log.warning('AOT step skipped: %s; numba\'s cache is warm, the first run in a '
                        'new process loads numba (about 1 s)', exc)
            summary['aot_error'] = str(exc)
    summary['seconds'] = {'numba': t2 - t0, 'harvest': t2 - t1,
                          'aot': time.perf_counter() - t2,
                          'total': time.perf_counter() - t0}
    summary['aot_dir'] = os.fspath(jit.aot_dir() if out_dir is None else out_dir)
    jit._missing.clear()        # this was the warm-up: none to start at exit
    return summary
