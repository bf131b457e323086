"""The models of ``bench_multiscale.py``, written once against the MOOSE API,
run as a child process by either interpreter::

    python benchmarks/multiscale_models.py moosepy|moose CASE WARM [profile]

(``moose``: ``import moose``, pymoose 5.0.0; ``moosepy``: ``import moosepy
as moose``).  Prints one ``JSON`` line: ``first`` (build + reinit + start
of the first run in this fresh process, CPU s and wall s), ``warm`` (the
best of WARM further ``reinit(); start()`` rounds, CPU s and wall s, the
simulation only), ``process`` (wall s since the interpreter reached this
file, imports included) and ``check`` (named values read after the first
run, for comparing the two simulators).  With ``profile``, one more warm
round runs under cProfile and its statistics go to stderr.

Cases:

* ``pulse``  CylMesh, 1000 voxels of 1 um (radius 0.5 um), one pool A
  (diffConst 1e-12 m^2/s), 1 mM in the first 10 voxels; 10 s
* ``reac``   the same with A <-> B (Kf 0.1 /s, Kb 0.01 /s; B does not
  diffuse); 10 s
* ``big``    ``pulse`` with 100,000 voxels; 10 s
* ``spiny``  a spiny neuron's chemistry: a soma and a 200 um dendrite of 100
  compartments (2 um each, 1.5 um thick) with 100 spines (neck 1 um x
  0.2 um, head 0.5 um x 0.5 um, one per dendrite compartment); NeuroMesh
  (diffLength 2 um, separateSpines) + SpineMesh + PsdMesh; in each of the
  three the oscillator of moose-examples' reacDiffSpinyNeuron (pools a, b,
  s; three MMenz and a Reac; a and b diffuse, 1e-12 and 1e-11 m^2/s); a
  Stoich, Ksolve and Dsolve on each mesh, joined by
  ``buildNeuroMeshJunctions``; the PSD's first voxel starts at 1.5x a to
  break the symmetry; the electrical compartments are geometry only (tick
  -1), as in that script; 100 s on MOOSE's default chemical ticks
* ``bridge`` the coupled ball-and-stick cell of tests/kinetics/test_bridge.py,
  made bigger: a soma and 40 dendrite compartments (10 um x 2 um) under
  HSolve (dt 50 us), 10 spines each with a Ca-permeable channel and a
  CaConc in its head; a K channel on dend0; a NeuroMesh + SpineMesh +
  PsdMesh with a diffusing Ca pool in each (Ksolve + Dsolve, junctions) and
  Kmod in the dendrite; Adaptors on a 10 ms tick carry each spine head's
  CaConc into its spine Ca pool and the mean Kmod of dend0's voxels into
  dend0's K Gbar; chemistry ticks (16, 18) at 10 ms; 1 s
"""

import json
import sys
import time

T_PROC = time.perf_counter()


def _pulse(moose, np, n, reac):
    m = moose.CylMesh('/cyl')
    m.x1 = n * 1e-6
    m.diffLength = 1e-6
    m.r0 = m.r1 = 0.5e-6
    a = moose.Pool('/cyl/a')
    a.diffConst = 1e-12
    if reac:
        b = moose.Pool('/cyl/b')
        r = moose.Reac('/cyl/r')
        r.Kf, r.Kb = 0.1, 0.01
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
    st = moose.Stoich('/cyl/st')
    ks = moose.Ksolve('/cyl/ks')
    ds = moose.Dsolve('/cyl/ds')
    st.compartment = m
    st.ksolve = ks
    st.dsolve = ds
    st.reacSystemPath = '/cyl/##'
    ci = np.zeros(n)
    ci[:10] = 1.0
    moose.vec('/cyl/a').concInit = ci

    def check():
        # single elements: MOOSE's vec().conc is slow on big vecs
        out = {f'a[{i}]': moose.element(f'/cyl/a[{i}]').conc for i in (0, 5, 20, 40)}
        if reac:
            out.update({f'b[{i}]': moose.element(f'/cyl/b[{i}]').conc for i in (0, 20)})
        return out
    return 10.0, check


def _compt(moose, np, path, parent, length, dia, x0, y0=0.0, x1=None, y1=None):
    c = moose.Compartment(path)
    c.length, c.diameter = length, dia
    c.x0, c.y0, c.z0 = x0, y0, 0.0
    c.x = x0 + length if x1 is None else x1
    c.y = y0 if y1 is None else y1
    c.z = 0.0
    area = np.pi * dia * length
    c.Rm, c.Cm, c.Ra = 1.0 / area, 0.01 * area, 1.0 * length / (np.pi * dia * dia / 4)
    c.Em = c.initVm = -0.065
    if parent is not None:
        moose.connect(parent, 'axial', c, 'raxial')
    return c


def _chem_oscillator(moose, compt):
    """moose-examples/snippets/reacDiffSpinyNeuron.py's makeChemModel."""
    p = compt.path
    a, b, s = moose.Pool(p + '/a'), moose.Pool(p + '/b'), moose.Pool(p + '/s')
    e1, e2, e3 = moose.MMenz(p + '/e1'), moose.MMenz(p + '/e2'), moose.MMenz(p + '/e3')
    r1 = moose.Reac(p + '/r1')
    a.concInit, b.concInit, s.concInit = 0.1, 0.1, 1.0
    for e, sub, prd, enz, km, kcat in ((e1, s, a, a, 1.0, 1.0), (e2, s, b, a, 1.0, 0.5),
                                      (e3, a, s, b, 0.1, 1.0)):
        moose.connect(e, 'sub', sub, 'reac')
        moose.connect(e, 'prd', prd, 'reac')
        moose.connect(enz, 'nOut', e, 'enzDest')
        e.Km, e.kcat = km, kcat
    moose.connect(r1, 'sub', b, 'reac')
    moose.connect(r1, 'prd', s, 'reac')
    r1.Kf, r1.Kb = 0.3, 0.0
    a.diffConst, b.diffConst, s.diffConst = 1e-12, 1e-11, 0.0


def _meshes(moose, root):
    dend = moose.NeuroMesh(root + '/dend')
    spine = moose.SpineMesh(root + '/spine')
    psd = moose.PsdMesh(root + '/psd')
    dend.separateSpines = 1
    moose.connect(dend, 'spineListOut', spine, 'spineList', 'OneToOne')
    moose.connect(dend, 'psdListOut', psd, 'psdList', 'OneToOne')
    return dend, spine, psd


#: the Ksolves' method and tolerances (set before the Stoich builds, as a
#: script would), for bench_spiny_accuracy.py; empty: the defaults
SOLVER_OPTS = {}


def _solvers(moose, meshes):
    ds = []
    for mesh in meshes:
        st = moose.Stoich(mesh.path + '/stoich')
        st.compartment = mesh
        ks = moose.Ksolve(mesh.path + '/ksolve')
        if 'method' in SOLVER_OPTS:
            ks.method = SOLVER_OPTS['method']
        if 'eps' in SOLVER_OPTS:
            ks.epsRel = ks.epsAbs = SOLVER_OPTS['eps']
        st.ksolve = ks
        st.dsolve = moose.Dsolve(mesh.path + '/dsolve')
        st.reacSystemPath = mesh.path + '/#'
        ds.append(moose.element(mesh.path + '/dsolve'))
    ds[0].buildNeuroMeshJunctions(ds[1], ds[2])


def _spiny(moose, np):
    ndend, u = 100, 1e-6
    moose.Neutral('/model')
    moose.Neutral('/model/cell')
    soma = _compt(moose, np, '/model/cell/soma', None, 10 * u, 10 * u, 0.0)
    prev, x = soma, 10 * u
    for i in range(ndend):
        prev = _compt(moose, np, f'/model/cell/dend{i}', prev, 2 * u, 1.5 * u, x)
        xs = x + 1 * u
        neck = _compt(moose, np, f'/model/cell/shaft{i}', prev, 1 * u, 0.2 * u, xs,
                      0.75 * u, xs, 1.75 * u)
        _compt(moose, np, f'/model/cell/head{i}', neck, 0.5 * u, 0.5 * u, xs,
               1.75 * u, xs, 2.25 * u)
        x += 2 * u
    for c in moose.wildcardFind('/model/cell/#'):
        c.tick = -1                 # geometry only, as reacDiffSpinyNeuron
    moose.Neutral('/model/chem')
    meshes = _meshes(moose, '/model/chem')
    for mesh in meshes:
        _chem_oscillator(moose, mesh)
    meshes[0].diffLength = 2 * u
    meshes[0].subTreePath = '/model/cell/#'
    _solvers(moose, meshes)
    moose.element('/model/chem/psd/a[0]').concInit *= 1.5
    nd = meshes[0].numDiffCompts

    def check():
        out = {'ndend': nd, 'nspine': len(moose.vec('/model/chem/spine/a')),
               'npsd': len(moose.vec('/model/chem/psd/a'))}
        for mesh, idx in (('dend', (0, 1, nd // 2, nd - 1)), ('spine', (0, 1, 50)),
                          ('psd', (0, 1, 50))):
            for pool in ('a', 'b'):
                for i in idx:
                    out[f'{mesh}/{pool}[{i}]'] = moose.element(
                        f'/model/chem/{mesh}/{pool}[{i}]').conc
        return out
    return 100.0, check


def _bridge(moose, np):
    ndend, spines_at = 40, range(2, 40, 4)
    moose.setClock(11, 0.01)            # adaptors
    for tick in (16, 18):
        moose.setClock(tick, 0.01)
    moose.Neutral('/cell')
    soma = _compt(moose, np, '/cell/soma', None, 10e-6, 10e-6, 0.0)
    prev, x, dends = soma, 10e-6, []
    for i in range(ndend):
        prev = _compt(moose, np, f'/cell/dend{i}', prev, 10e-6, 2e-6, x)
        dends.append(prev)
        x += 10e-6
    heads = []
    for k, i in enumerate(spines_at):
        xs = 10e-6 * (i + 1) + 5e-6
        neck = _compt(moose, np, f'/cell/shaft{k}', dends[i], 1e-6, 0.2e-6, xs,
                      0.0, xs, 1e-6)
        head = _compt(moose, np, f'/cell/head{k}', neck, 0.5e-6, 0.5e-6, xs,
                      1e-6, xs, 1.5e-6)
        ch = moose.HHChannel(f'/cell/head{k}/caChan')
        ch.Ek, ch.Gbar = 0.080, 2e-13 * (1 + k % 3)
        # an always-open gate (alpha 1000 /s, beta 0): MOOSE 5.0.0's HSolve
        # mishandles a Ca channel without gates (its CaConc runs to 1e9)
        ch.Xpower = 1
        moose.element(f'/cell/head{k}/caChan/gateX').setupAlpha(
            [1000.0, 0, 0, 0, 1e9, 0.0, 0, 0, 0, 1e9, 3000, -0.1, 0.05])
        moose.connect(ch, 'channel', head, 'channel')
        ca = moose.CaConc(f'/cell/head{k}/Ca_conc')
        # MOOSE's HSolve takes B from the shell's geometry, moosepy from B:
        # give both, equal (B = 1 / (2 F shell volume), F = 96485.3415 C/mol)
        ca.length, ca.diameter, ca.thick = 0.5e-6, 0.5e-6, 0.1e-6
        vol = np.pi * 0.5e-6 * (0.25e-6 ** 2 - 0.15e-6 ** 2)
        ca.CaBasal, ca.tau, ca.B = 1e-4, 0.02, 1.0 / (2 * 96485.3415 * vol)
        moose.connect(ch, 'IkOut', ca, 'current')
        # a small Ca-gated K channel read from the CaConc: without one,
        # MOOSE 5.0.0's HSolve has an empty Ca table and its CaConcs run to 1e9
        kca = moose.HHChannel(f'/cell/head{k}/KCa')
        kca.Ek, kca.Gbar, kca.Zpower, kca.useConcentration = -0.090, 1e-12, 1, 1
        moose.element(f'/cell/head{k}/KCa/gateZ').setupAlpha(
            [100.0, 1e5, 0, 0, 1e9, 100.0, 0, 0, 0, 1e9, 3000, 0.0, 1.0])
        moose.connect(kca, 'channel', head, 'channel')
        moose.connect(ca, 'concOut', kca, 'concen')
        heads.append(ca)
    kc = moose.HHChannel('/cell/dend0/K')
    kc.Ek, kc.Xpower = -0.090, 1
    g = moose.element('/cell/dend0/K/gateX')
    g.setupAlpha([10.0, 0, 0, 0, 1e9, 10.0, 0, 0, 0, 1e9, 3000, -0.1, 0.05])
    moose.connect(kc, 'channel', dends[0], 'channel')
    soma.inject = 2e-11
    hs = moose.HSolve('/cell/hsolve')
    hs.dt = 50e-6
    hs.target = '/cell/soma'

    moose.Neutral('/chem')
    meshes = _meshes(moose, '/chem')
    for mesh in meshes:
        p = moose.Pool(mesh.path + '/Ca')
        p.diffConst = 2e-11
        p.concInit = 1e-4
    moose.Pool('/chem/dend/Kmod').concInit = 1e-3
    meshes[0].subTreePath = '/cell/##'
    _solvers(moose, meshes)
    for k, ca in enumerate(heads):
        ad = moose.Adaptor(f'/chem/spineAd{k}')
        moose.connect(ad, 'requestOut', ca, 'getCa')
        moose.connect(ad, 'output', moose.element(f'/chem/spine/Ca[{k}]'), 'setConc')
        ad.scale = 1.0
    kad = moose.Adaptor('/chem/kAd')
    # dend0's voxels (pymoose 5.0.0 cannot look up dendVoxelsOnCompartment)
    emap = [o.path.split('/')[-1].split('[')[0] for o in meshes[0].elecComptMap]
    for v in [i for i, name in enumerate(emap) if name == 'dend0']:
        moose.connect(kad, 'requestOut', moose.element(f'/chem/dend/Kmod[{v}]'), 'getConc')
    moose.connect(kad, 'output', kc, 'setGbar')
    kad.scale = 2e-9 / 1e-3
    nd = meshes[0].numDiffCompts

    def check():
        out = {'ndend': nd, 'nspine': len(moose.vec('/chem/spine/Ca')),
               'soma Vm': soma.Vm, 'dend0 Vm': dends[0].Vm, 'dend39 Vm': dends[-1].Vm,
               'K Gbar': kc.Gbar}
        for k in (0, 1, 2, 9):
            out[f'head{k} Ca'] = heads[k].Ca
            out[f'spine/Ca[{k}]'] = moose.element(f'/chem/spine/Ca[{k}]').conc
            out[f'psd/Ca[{k}]'] = moose.element(f'/chem/psd/Ca[{k}]').conc
        for i in (0, 10, nd // 2, nd - 1):
            out[f'dend/Ca[{i}]'] = moose.element(f'/chem/dend/Ca[{i}]').conc
        return out
    return 1.0, check


def main():
    who, case, warm = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if who == 'moose':
        import moose
    else:
        import moosepy as moose
    import numpy as np
    c0, w0 = time.process_time(), time.perf_counter()
    if case in ('pulse', 'reac', 'big'):
        runtime, check = _pulse(moose, np, 100000 if case == 'big' else 1000, case == 'reac')
    elif case == 'spiny':
        runtime, check = _spiny(moose, np)
    elif case == 'bridge':
        runtime, check = _bridge(moose, np)
    else:
        raise SystemExit(f'unknown case {case!r}')
    moose.reinit()
    moose.start(runtime)
    first = (time.process_time() - c0, time.perf_counter() - w0)
    values = {k: float(v) for k, v in check().items()}
    best_cpu = best_wall = None
    if len(sys.argv) > 4 and sys.argv[4] == 'profile':
        # one more warm round under cProfile: the top of the cumulative list
        import cProfile
        import pstats
        moose.reinit()
        pr = cProfile.Profile()
        pr.enable()
        moose.start(runtime)
        pr.disable()
        pstats.Stats(pr, stream=sys.stderr).sort_stats('cumulative').print_stats(35)
        pstats.Stats(pr, stream=sys.stderr).sort_stats('tottime').print_stats(20)
    for _ in range(warm):
        moose.reinit()
        c1, w1 = time.process_time(), time.perf_counter()
        moose.start(runtime)
        dc, dw = time.process_time() - c1, time.perf_counter() - w1
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
        best_wall = dw if best_wall is None else min(best_wall, dw)
    print('JSON' + json.dumps({'first_cpu': first[0], 'first_wall': first[1],
                               'warm_cpu': best_cpu, 'warm_wall': best_wall,
                               'process': time.perf_counter() - T_PROC,
                               'runtime': runtime, 'check': values}))


if __name__ == '__main__':
    main()
