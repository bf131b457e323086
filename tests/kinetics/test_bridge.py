"""The chemical-electrical bridge: a ball-and-stick cell with two spines,
solved by HSolve; a NeuroMesh over it with SpineMesh and PsdMesh voxels,
Ksolves and Dsolves joined at the spine necks; Adaptors carrying the
electrical calcium of each spine head into its spine's Ca pool, and a
dendritic pool into a K channel's Gbar.  Oracles: the Adaptor formula,
conservation across the junctions, and the direction of each coupling."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.core import clock as clock_mod

NDEND = 6


def _compt(path, parent, length, dia, x0):
    c = moose.Compartment(path)
    c.length, c.diameter = length, dia
    c.x0, c.x, c.y0, c.y, c.z0, c.z = x0, x0 + length, 0.0, 0.0, 0.0, 0.0
    area = np.pi * dia * length
    c.Rm, c.Cm, c.Ra = 1.0 / area, 0.01 * area, 1.0 * length / (np.pi * dia * dia / 4)
    c.Em = c.initVm = -0.065
    if parent is not None:
        moose.connect(parent, 'axial', c, 'raxial')
    return c


def _spine(dend, k, x):
    neck = moose.Compartment(f'/cell/shaft{k}')
    head = moose.Compartment(f'/cell/head{k}')
    for c, (l, d, y0) in ((neck, (1e-6, 0.2e-6, 0.0)), (head, (0.5e-6, 0.5e-6, 1e-6))):
        c.length, c.diameter = l, d
        c.x0, c.x, c.y0, c.y, c.z0, c.z = x, x, y0, y0 + l, 0.0, 0.0
        area = np.pi * d * l
        c.Rm, c.Cm, c.Ra = 1.0 / area, 0.01 * area, 1.0 * l / (np.pi * d * d / 4)
        c.Em = c.initVm = -0.065
    moose.connect(dend, 'axial', neck, 'raxial')
    moose.connect(neck, 'axial', head, 'raxial')
    # a Ca-permeable conductance (no gates) feeding a CaConc in the head
    ch = moose.HHChannel(f'/cell/head{k}/caChan')
    ch.Ek, ch.Gbar = 0.080, 2e-11 * (k + 1)      # the second spine lets in twice as much
    moose.connect(ch, 'channel', head, 'channel')
    ca = moose.CaConc(f'/cell/head{k}/Ca_conc')
    ca.CaBasal, ca.tau = 1e-4, 0.02
    # B = 1e12 from a cylinder of length = diameter (MOOSE's HSolve takes B
    # from the pool's geometry when it takes the pool over)
    ca.length = ca.diameter = (4.0 / (np.pi * 2 * 96485.33212 * 1e12)) ** (1.0 / 3.0)
    moose.connect(ch, 'IkOut', ca, 'current')
    return head, ca


def _build(kmod_conc):
    moose.Neutral('/cell')
    soma = _compt('/cell/soma', None, 10e-6, 10e-6, 0.0)
    prev, x = soma, 10e-6
    dends = []
    for i in range(NDEND):
        prev = _compt(f'/cell/dend{i}', prev, 10e-6, 2e-6, x)
        dends.append(prev)
        x += 10e-6
    heads = [_spine(dends[2], 0, 25e-6 + 10e-6), _spine(dends[4], 1, 45e-6 + 10e-6)]
    # a K channel on the first dendrite compartment whose Gbar chemistry sets
    k = moose.HHChannel('/cell/dend0/K')
    k.Ek, k.Xpower = -0.090, 1
    g = moose.element('/cell/dend0/K/gateX')
    g.setupAlpha([10.0, 0, 0, 0, 1e9, 10.0, 0, 0, 0, 1e9, 3000, -0.1, 0.05])  # X -> 0.5
    moose.connect(k, 'channel', dends[0], 'channel')
    soma.inject = 2e-11
    hs = moose.HSolve('/cell/hsolve')
    hs.dt = 50e-6
    hs.target = '/cell/soma'

    # chemistry in space
    moose.Neutral('/chem')
    dend = moose.NeuroMesh('/chem/dend')
    spine = moose.SpineMesh('/chem/spine')
    psd = moose.PsdMesh('/chem/psd')
    dend.separateSpines = True
    moose.connect(dend, 'spineListOut', spine, 'spineList')
    moose.connect(dend, 'psdListOut', psd, 'psdList')
    for mesh in (dend, spine, psd):
        p = moose.Pool(mesh.path + '/Ca')
        p.diffConst = 2e-11
        p.concInit = 1e-4
    kmod = moose.Pool('/chem/dend/Kmod')
    kmod.concInit = kmod_conc
    dend.subTreePath = '/cell/##'
    dsolves = []
    for mesh in (dend, spine, psd):
        st = moose.Stoich(mesh.path + '/stoich')
        st.compartment = mesh
        st.ksolve = moose.Ksolve(mesh.path + '/ksolve')
        st.dsolve = moose.Dsolve(mesh.path + '/dsolve')
        st.reacSystemPath = mesh.path + '/#[ISA=PoolBase]'
        dsolves.append(moose.element(mesh.path + '/dsolve'))
    dsolves[0].buildNeuroMeshJunctions(dsolves[1], dsolves[2])

    # the bridge: electrical Ca -> spine pool, dendritic pool -> K Gbar
    ads = []
    for k_, (head, ca) in enumerate(heads):
        ad = moose.Adaptor(f'/chem/spineAd{k_}')
        moose.connect(ad, 'requestOut', ca, 'getCa')
        moose.connect(ad, 'output', moose.element(f'/chem/spine/Ca[{k_}]'), 'setConc')
        ad.inputOffset = 0.0
        ad.scale = 1.0          # CaConc and Pool both in mM
        ads.append(ad)
    dv = dend.dendVoxelsOnCompartment[moose.element('/cell/dend0')]
    kad = moose.Adaptor('/chem/kAd')
    for v in dv:
        moose.connect(kad, 'requestOut', moose.element(f'/chem/dend/Kmod[{int(v)}]'), 'getConc')
    moose.connect(kad, 'output', moose.element('/cell/dend0/K'), 'setGbar')
    kad.scale = 2e-9 / 1e-3      # S per mM
    tv = moose.Table('/vm')
    moose.connect(tv, 'requestOut', moose.element('/cell/dend0'), 'getVm')
    return heads, ads, kad, tv


def _run(kmod_conc, t=0.5):
    moose.setClock(11, 0.01)      # adaptor
    for tick in (16, 18):
        moose.setClock(tick, 0.01)
    heads, ads, kad, tv = _build(kmod_conc)
    moose.reinit()
    moose.start(t)
    return heads, ads, kad, tv


def test_bridge_both_directions(monkeypatch):
    used = []
    orig = clock_mod._run_hybrid
    monkeypatch.setattr(clock_mod, '_run_hybrid',
                        lambda *a, **k: used.append(1) or orig(*a, **k))
    heads, ads, kad, tv = _run(1e-3)
    # the HSolve and the chemical solvers ran whole intervals between the
    # Adaptors' ticks (the clock's hybrid path, no Python per step)
    assert used
    # electrical -> chemical: each spine's Ca pool was set from its head's Ca
    sp = moose.vec('/chem/spine/Ca')
    ca_e = [ca.Ca for _, ca in heads]
    assert ca_e[1] > ca_e[0] > 1e-4            # more Ca channel, more Ca
    for k, ad in enumerate(ads):
        assert ad.outputValue > 1e-4
    assert sp.conc[1] > sp.conc[0] > 1e-4       # chemistry follows the electrical order
    # the spine Ca diffused through the necks into the dendrite, above basal
    dend_ca = np.array(moose.vec('/chem/dend/Ca').conc)
    assert dend_ca.max() > 1e-4 * (1 + 1e-3)
    # chemical -> electrical: Gbar = scale * mean(Kmod) exactly
    assert moose.element('/cell/dend0/K').Gbar == pytest.approx(2e-9, rel=1e-12)
    v_high = tv.vector[-1]
    moose.delete('/cell')
    moose.delete('/chem')
    moose.delete('/vm')
    _, _, kad2, tv2 = _run(0.0)
    assert moose.element('/cell/dend0/K').Gbar == 0.0
    # more K conductance (from more Kmod) holds the dendrite more hyperpolarised
    assert tv2.vector[-1] - v_high > 1e-4


def test_bridge_conserves_chemistry_across_junctions():
    heads, ads, kad, tv = _run(1e-3, t=0.05)
    # after the run, stop feeding: delete the spine adaptors and let Ca
    # spread; molecules in dendrite + spines + PSDs stay constant
    for ad in ads:
        moose.delete(ad)
    tot = sum(np.sum(moose.vec(p).n) for p in ('/chem/dend/Ca', '/chem/spine/Ca',
                                               '/chem/psd/Ca'))
    moose.start(0.5)
    tot2 = sum(np.sum(moose.vec(p).n) for p in ('/chem/dend/Ca', '/chem/spine/Ca',
                                                '/chem/psd/Ca'))
    assert tot2 == pytest.approx(tot, rel=1e-9)


def _tables_and_state(idle_on, monkeypatch, fold=True, paced=False):
    """Run the bridge with chemical tables in every mesh and return their
    vectors, the final chemical state, Vm's table and how often
    dsolve._idle_call stood in for a whole advance_split call (*fold*:
    clock.FOLD_FIRING_STEP; *paced*: core.paced.PACED, off to test the
    hybrid loop)."""
    from moosepy.kinetics import dsolve
    from moosepy.core import paced as paced_mod
    monkeypatch.setattr(paced_mod, 'PACED', paced)
    monkeypatch.setattr(clock_mod, 'FOLD_FIRING_STEP', fold)
    taken = []
    orig = dsolve._idle_call

    def idle(*a):
        if not idle_on:
            return False
        r = orig(*a)
        taken.append(r)
        return r
    monkeypatch.setattr(dsolve, '_idle_call', idle)
    moose.setClock(11, 0.01)
    for tick in (16, 18):
        moose.setClock(tick, 0.01)
    heads, ads, kad, tv = _build(1e-3)
    tabs = []
    for p in ('/chem/dend/Ca[3]', '/chem/spine/Ca[1]', '/chem/psd/Ca[0]', '/chem/dend/Kmod[0]'):
        t = moose.Table2('/tab%d' % len(tabs))
        moose.connect(t, 'requestOut', moose.element(p), 'getConc')
        tabs.append(t)
    moose.reinit()
    moose.start(0.2)
    out = [np.array(t.vector) for t in tabs] + [np.array(tv.vector)]
    out += [np.array(moose.vec(p).n) for p in ('/chem/dend/Ca', '/chem/spine/Ca',
                                               '/chem/psd/Ca', '/chem/dend/Kmod')]
    for p in ['/cell', '/chem', '/vm'] + [t.path for t in tabs]:
        moose.delete(p)
    return out, sum(taken)


def test_idle_chemical_calls_change_nothing(monkeypatch):
    """Between the Adaptors' firings the clock advances every solver over
    chunks in which no chemical tick ends; dsolve._idle_call does those
    calls' bookkeeping without the full advance_split.  With it and without
    it, the tables, Vm and every pool's molecules are the same bit for bit,
    and it was taken (so this test sees it)."""
    fast, n_fast = _tables_and_state(True, monkeypatch)
    full, n_full = _tables_and_state(False, monkeypatch)
    assert n_fast >= 19 and n_full == 0
    assert len(fast) == len(full)
    for a, b in zip(fast, full):
        assert a.shape == b.shape and len(a) > 0
        assert np.array_equal(a, b)


def test_firing_step_folded_into_the_chunk_changes_nothing(monkeypatch):
    """The clock's hybrid path takes the step at which the Adaptors fire
    into the chunk before it for the HSolve (on a tick before the Adaptors'
    11) and Vm's table (tick 8); the Ksolves (16) and their tables (18)
    come after the Adaptors at that step as before.  Folded and tick by
    tick, every table, Vm and every pool's molecules are the same bit for
    bit; and folding is what happened (the HSolve was called half as
    often)."""
    from moosepy.electrical import hsolve_group
    calls = []
    orig = hsolve_group.Group.advance_to

    def counted(self, *a):
        calls.append(1)
        return orig(self, *a)
    monkeypatch.setattr(hsolve_group.Group, 'advance_to', counted)
    folded, _ = _tables_and_state(True, monkeypatch, fold=True)
    n_folded = len(calls)
    del calls[:]
    ticked, _ = _tables_and_state(True, monkeypatch, fold=False)
    assert n_folded * 2 <= len(calls) + 2
    for a, b in zip(folded, ticked):
        assert a.shape == b.shape and len(a) > 0
        assert np.array_equal(a, b)


def _extras():
    """More for the paced run to take: a Poisson RandSpike whose rate a
    Function of t sets (both absorbed by the HSolve) driving a SynChan on
    head 1; an Adaptor from head 1's CaConc into a BufPool's concInit
    (the state and nInit) and a Pool's concInit (nInit only); a Table2
    vec reading pools of two solvers (stepped in Python) and a Table2 of a
    pool, both every 3 Adaptor intervals.  Returns the tables."""
    head = moose.element('/cell/head1')
    sc = moose.SynChan('/cell/head1/glu')
    sc.Gbar, sc.Ek, sc.tau1, sc.tau2 = 2e-9, 0.0, 1e-3, 3e-3
    moose.connect(sc, 'channel', head, 'channel')
    sh = moose.SimpleSynHandler('/cell/head1/glu/sh')
    moose.connect(sh, 'activationOut', sc, 'activation')
    sh.synapse.num = 1
    sh.synapse[0].weight = 1.0
    rs = moose.RandSpike('/cell/head1/glu/sh/synapse/rs')
    moose.connect(rs, 'spikeOut', sh.synapse[0], 'addSpike')
    f = moose.Function('/cell/rate')
    f.expr = '100 + 2000 * t'
    f.doEvalAtReinit = 1
    moose.connect(f, 'valueOut', rs, 'setRate')
    f.tick = 12
    buf = moose.BufPool('/chem/spine/Cab')
    buf.concInit = 1e-4
    ad = moose.Adaptor('/chem/initAd')
    moose.connect(ad, 'requestOut', moose.element('/cell/head1/Ca_conc'), 'getCa')
    # (the BufPool is spread over the spines when the Stoich is rebuilt below)
    moose.setClock(19, 0.03)
    tabs = []
    t = moose.Table2('/ptab', 2)
    tabs.append(t)
    t2 = moose.Table2('/ctab')
    moose.connect(t2, 'requestOut', moose.element('/chem/dend/Ca[1]'), 'getConc')
    tabs.append(t2)
    for x in tabs:
        x.tick = 19
    return rs, f, ad, tabs


def _count_paced_runs(monkeypatch):
    """What each call of core.paced.run returned (the intervals it took)."""
    from moosepy.core import paced
    calls = []
    orig = paced.run

    def counted(*a):
        r = orig(*a)
        calls.append(r)
        return r
    monkeypatch.setattr(paced, 'run', counted)
    return calls


def _paced_run(flag, monkeypatch, scale=None, mod_offset=1.0, extras=False):
    """The bridge without its Vm table (tables keep the hybrid loop), one
    more Adaptor reading dendritic Ca where spine 0 joins (MOOSE's reading:
    the copy before the junction exchange) into the K channel's
    modulation; runs of 0.2 s, 0.0537 s (not a whole number of Adaptor
    intervals) and, after a reinit, 0.1 s with core.paced.PACED = *flag*.
    Returns the values and how many paced calls ran."""
    from moosepy.core import paced
    monkeypatch.setattr(paced, 'PACED', flag)
    calls = _count_paced_runs(monkeypatch)
    moose.setClock(11, 0.01)
    for tick in (16, 18):
        moose.setClock(tick, 0.01)
    heads, ads, kad, tv = _build(1e-3)
    moose.delete('/vm')
    dend = moose.element('/chem/dend')
    ad2 = moose.Adaptor('/chem/modAd')
    for v in dend.dendVoxelsOnCompartment[moose.element('/cell/dend2')]:
        moose.connect(ad2, 'requestOut', moose.element(f'/chem/dend/Ca[{int(v)}]'), 'getConc')
    moose.connect(ad2, 'output', moose.element('/cell/dend0/K'), 'setModulation')
    ad2.scale, ad2.inputOffset, ad2.outputOffset = 2e3, 1e-4, mod_offset
    if scale is not None:
        kad.scale = scale
    tabs = []
    if extras:
        moose.seed(7)
        rs, f, iad, tabs = _extras()
        st = moose.element('/chem/spine/stoich')
        st.reacSystemPath = '/chem/spine/#[ISA=PoolBase]'
        moose.connect(iad, 'output', moose.element('/chem/spine/Cab[1]'), 'setConcInit')
        moose.connect(iad, 'output', moose.element('/chem/dend/Kmod[0]'), 'setConcInit')
        iad.scale = 0.5
        moose.connect(moose.element('/ptab[0]'), 'requestOut',
                      moose.element('/chem/dend/Ca[3]'), 'getConc')
        moose.connect(moose.element('/ptab[1]'), 'requestOut',
                      moose.element('/chem/spine/Ca[1]'), 'getConc')
    out = []

    def snap():
        out.append(np.array([moose.element(f'/cell/{c}').Vm for c in
                             ['soma'] + [f'dend{i}' for i in range(NDEND)] +
                             ['head0', 'head1']]))
        out.append(np.array([ca.Ca for _h, ca in heads]))
        k = moose.element('/cell/dend0/K')
        out.append(np.array([k.Gbar, k.modulation, k.Gk, ad2.outputValue, kad.outputValue]))
        for p in ('/chem/dend/Ca', '/chem/spine/Ca', '/chem/psd/Ca', '/chem/dend/Kmod'):
            out.append(np.array(moose.vec(p).n))
            out.append(np.array(moose.vec(p).conc))
        out.append(np.array([moose.element('/clock').currentTime]))
        if extras:
            out.append(np.array(moose.vec('/chem/spine/Cab').nInit))
            out.append(np.array(moose.vec('/chem/dend/Kmod').nInit))
            out.append(np.array([moose.element('/cell/head1/glu').Gk, f.value]))
            for t in tabs:
                for i in range(t.numData):
                    base = t.path.split('[')[0]
                    out.append(np.array(moose.element(f'{base}[{i}]').vector))
    try:
        moose.reinit()
        for t in (0.2, 0.0537):
            moose.start(t)
            snap()
        moose.reinit()
        moose.start(0.1)
        snap()
    finally:
        for p in ['/cell', '/chem'] + [t.path.split('[')[0] for t in tabs]:
            moose.delete(p)
    return out, calls


def test_paced_run_equals_the_hybrid_loop(monkeypatch):
    """core.paced takes the bridge's Adaptor intervals (HSolve steps, the
    Adaptors' reads and writes, the chemical tick) in one compiled call:
    Vm, CaConc Ca, the K channel's Gbar, modulation and Gk, the Adaptors'
    outputValue, every pool's n and conc as read, and the clock's time
    equal the hybrid loop's bit for bit, over runs that start and end
    between intervals and across a reinit; and the paced call is what ran
    (whole runs of intervals, not a fallback)."""
    paced_out, calls = _paced_run(True, monkeypatch)
    assert calls and all(c >= 2 for c in calls) and sum(calls) >= 20 + 5 + 10 - 3
    loop_out, calls0 = _paced_run(False, monkeypatch)
    assert not calls0
    assert len(paced_out) == len(loop_out)
    for a, b in zip(paced_out, loop_out):
        assert a.shape == b.shape and len(a) > 0
        assert np.array_equal(a, b), (a, b)
    # the couplings worked: Gbar from Kmod (1e-3 mM -> 2e-9 S), modulation
    # from dendritic Ca above its 1e-4 mM start
    assert paced_out[2][0] == pytest.approx(2e-9)
    assert paced_out[2][1] > 1.0


def test_paced_run_raises_the_hsolves_error_on_a_non_finite_vm(monkeypatch):
    """An Adaptor that sends an infinite modulation (a field without
    checks) makes Vm NaN in the next interval: the paced call stops there
    and the HSolve's own error names the compartment, at the same clock
    time as in the hybrid loop."""
    from moosepy.core.errors import SolverError
    kernel = _count_kernel_calls(monkeypatch)
    got = []
    for flag in (True, False):
        with pytest.raises(SolverError) as e:
            _paced_run(flag, monkeypatch, mod_offset=float('inf'))
        got.append((str(e.value), moose.element('/clock').currentTime))
        if flag:
            assert len(kernel) == 1 and kernel[0] == 1      # (stopped by the HSolve's check)
    assert 'Vm became' in got[0][0] and '/cell/' in got[0][0]
    assert got[0] == got[1]


def _count_kernel_calls(monkeypatch):
    """The stop codes of the paced kernel's calls, as they return."""
    from moosepy.core import pkernels
    codes = []
    orig = pkernels.run_paced

    def counted(*a):
        orig(*a)
        codes.append(int(a[-1][0]))
    monkeypatch.setattr(pkernels, 'run_paced', counted)
    return codes


def test_paced_run_raises_what_the_field_raises(monkeypatch):
    """An Adaptor that sends a negative Gbar: the paced call stops before
    the write and the error is the channel's own, as in the hybrid loop,
    at the same time."""
    from moosepy.core.errors import MooseError
    kernel = _count_kernel_calls(monkeypatch)
    got = []
    for flag in (True, False):
        with pytest.raises(MooseError) as e:
            _paced_run(flag, monkeypatch, scale=-2e-6)
        got.append((str(e.value), moose.element('/clock').currentTime))
        if flag:
            assert kernel == [2]        # (stopped before the write)
    assert 'Gbar' in got[0][0] and 'expected a finite value >= 0' in got[0][0]
    assert got[0][1] == got[1][1]
    assert got[1][0] in got[0][0]


def test_paced_run_records_tables_as_the_hybrid_loop(monkeypatch):
    """With tables (Vm on tick 8, recorded inside the HSolve's kernel;
    Table2s of pools in every mesh on tick 18, read at each interval's
    end), the paced run gives every table, Vm and every pool's molecules
    bit for bit as the hybrid loop, and it ran (the paced calls took the
    run, not the hybrid loop's chunks)."""
    calls = _count_paced_runs(monkeypatch)
    fast, _n = _tables_and_state(True, monkeypatch, paced=True)
    assert sum(calls) == 20 and all(c > 0 for c in calls)
    del calls[:]
    loop, _n = _tables_and_state(True, monkeypatch, paced=False)
    assert not calls
    assert len(fast) == len(loop)
    for a, b in zip(fast, loop):
        assert a.shape == b.shape and len(a) > 0
        assert np.array_equal(a, b)


def test_paced_run_takes_synapses_functions_init_writes_and_python_tables(monkeypatch):
    """The paced run with a Poisson RandSpike (its uniforms drawn for many
    intervals at once) whose rate a Function of t sets, a SynChan,
    Adaptor writes of a BufPool's and a Pool's concInit, and tables every
    third interval (one stepped in Python, one fed by its solver): every
    value and table bit for bit as the hybrid loop's, and the paced call
    ran with the HSolve holding the synapses and the Function."""
    from moosepy.electrical import hsolve
    held = []
    orig = hsolve._group

    def group(el):
        g = orig(el)
        if g is not None:
            held.append((g.has_syn, bool(g.fn_els)))
        return g
    monkeypatch.setattr(hsolve, '_group', group)
    paced_out, calls = _paced_run(True, monkeypatch, extras=True)
    assert (True, True) in held
    assert calls and all(c >= 2 for c in calls)
    loop_out, calls0 = _paced_run(False, monkeypatch, extras=True)
    assert not calls0
    assert len(paced_out) == len(loop_out)
    for a, b in zip(paced_out, loop_out):
        assert a.shape == b.shape and len(a) > 0
        assert np.array_equal(a, b), (a, b)
    # the synapse conducted; the tables recorded every third interval; the
    # BufPool took its new level
    gk = paced_out[-4][0]
    assert gk > 0
    assert 3 <= len(paced_out[-1]) <= 4
