"""HH gate tables and the Z gate's input as MOOSE 5.0 makes them (the ex12.0
electrical difference, issue 13 item 1).

* setupAlpha/setupTau (and alphaParms) give pymoose 5.0.0's floats: MOOSE
  steps the voltage by a running sum x += dx, takes the mean of the formula
  at x +- dx/10 where a denominator is below 1e-6, and in setupTau repeats
  the previous entries where |tau| < 1e-6 s.  One deliberate difference:
  where the beta formula is 0/0, MOOSE stores 2 beta in tableB, moosepy
  alpha + beta (README).
* Setting Zpower to a new value sets useConcentration to 1 (MOOSE and
  GENESIS), so a channel such as proto22's K_AHP, which never sets it, reads
  Ca_conc on its Z gate.  moosepy read Vm there: K_AHP was shut (Vm below
  the 0..500 table), and ex12.0's spike trains parted from pymoose's at the
  3rd spike (239 against 247 in 2 s, electrical model alone).

Expected values were printed by pymoose 5.0.0 running the same calls.
"""

import hashlib

import numpy as np

import moosepy as moose

EREST = -0.060


def _sha(a):
    return hashlib.sha1(np.asarray(a, dtype=float).tobytes()).hexdigest()


def _gate(path, parms, tau=False):
    ch = moose.HHChannel(path)
    ch.Xpower = 1
    g = moose.element(path + '/gateX')
    (g.setupTau if tau else g.setupAlpha)(parms)
    return np.array(g.tableA), np.array(g.tableB)


def test_setup_alpha_hh_m_gate_is_pymoose_bit_for_bit():
    # squid m gate: alpha 0/0 at -40 mV (entry 60 of 150)
    A, B = _gate('/hh', [-4e3, -1e5, -1.0, 0.04, -0.01, 4e3, 0.0, 0.0, 0.065, 0.018,
                         150, -0.1, 0.05])
    assert len(A) == 151
    assert A[60] == 1000.0083333194395      # pymoose (mean at x +- dx/10)
    assert A[40] == 313.035285499332 and B[40] == 3342.8957990871922
    assert hashlib.sha1(A.tobytes() + B.tobytes()).hexdigest() == \
        '81d931da9f766d6ab240a4256dc9ef311617165d'


def test_setup_alpha_traub_na_is_pymoose_but_alpha_plus_beta_at_beta_singularity():
    # proto22's Na X gate (ex12.0): alpha 0/0 at entry 1062, beta 0/0 at 1602
    e = EREST
    A, B = _gate('/na', [320e3 * (0.0131 + e), -320e3, -1.0, -1.0 * (0.0131 + e), -0.004,
                         -280e3 * (0.0401 + e), 280e3, -1.0, -1.0 * (0.0401 + e), 5.0e-3,
                         3000, -0.1, 0.05])
    assert _sha(A) == 'a269fe33609f87678fc5802fb828cc22601dbd2f'
    assert A[1062] == 1280.0001666661324 and A[1602] == 8650.128258894643
    assert _sha(np.delete(B, 1602)) == '4f6f99be4b9e6c7d5581973c8957a8222acc814f'
    # pymoose: 2800.0002333332995 = 2 beta; moosepy: alpha + the same beta
    assert B[1602] == A[1602] + 2800.0002333332995 / 2


def test_setup_tau_repeats_previous_entries_where_tau_is_below_1e_6():
    # tau = 1e-3/(1 + exp(v/-0.002)) is below 1e-6 s up to about -14 mV
    A, B = _gate('/tau', [1e-3, 0.0, 1.0, 0.0, -0.002, 1.0, 0.0, 1.0, 0.03, 0.005,
                          100, -0.1, 0.05], tau=True)
    assert np.all(A[:58] == 0) and np.all(B[:58] == 0)
    assert A[58] == 21513.353594151347 and B[58] == 666141.6330443389
    assert A[100] == 0.00011253516205665587 and B[100] == 1000.000000013888
    assert hashlib.sha1(A.tobytes() + B.tobytes()).hexdigest() == \
        '04fe65640c54f671f8d222e0b598895d181418ba'


def test_zpower_change_sets_use_concentration():
    for cls in ('HHChannel', 'HHChannelF', 'HHChannel2D'):
        c = getattr(moose, cls)('/f' + cls)
        seen = [c.useConcentration]
        c.Zpower = 1
        seen.append(c.useConcentration)
        c.useConcentration = 0
        c.Zpower = 1                        # unchanged: kept
        seen.append(c.useConcentration)
        c.Zpower = 0                        # changed (to 0 too)
        seen.append(c.useConcentration)
        c.useConcentration = 0
        c.Zpower = 0
        seen.append(c.useConcentration)
        c.Zpower = 2
        seen.append(c.useConcentration)
        c.useConcentration = 0
        c.Zpower = 2.0000001                # MOOSE's doubleEq: the same power
        seen.append(c.useConcentration)
        c.Xpower = 3
        c.Ypower = 1
        seen.append(c.useConcentration)
        assert seen == [0, 1, 0, 1, 0, 1, 0, 0], cls      # pymoose 5.0.0
        moose.delete(c)


def _ahp_cell(root, hsolve):
    """A soma with a K_AHP built as proto22's (Zpower set, useConcentration
    never) reading a Ca_conc held at 25 (its CaBasal)."""
    moose.Neutral(root)
    soma = moose.Compartment(root + '/soma')
    soma.diameter = 10e-6
    soma.length = 10e-6
    area = np.pi * 10e-6 * 10e-6
    soma.Cm = 0.01 * area
    soma.Rm = 1.0 / area
    soma.Ra = 1e6
    soma.Em = soma.initVm = -0.06
    ca = moose.CaConc(root + '/soma/Ca_conc')
    ca.CaBasal = 25.0
    ca.tau = 0.0133
    ca.length = ca.diameter = 10e-6
    ca.thick = 1e-6
    k = moose.HHChannel(root + '/soma/K_AHP')
    k.Ek = -0.075
    k.Gbar = 20 * area
    k.Zpower = 1
    z = moose.element(k.path + '/gateZ')
    z.min, z.max, z.divs = 0.0, 500.0, 3000
    z.tableA = np.minimum(0.02 * np.linspace(0, 500, 3001), 10.0)
    z.tableB = np.ones(3001)
    moose.connect(ca, 'concOut', k, 'concen')
    moose.connect(k, 'channel', soma, 'channel')
    t = moose.Table(root + '/vm')
    moose.connect(t, 'requestOut', soma, 'getVm')
    if hsolve:
        h = moose.HSolve(root + '/hsolve')
        h.dt = 50e-6
        h.target = soma.path
    return t, k


def test_z_gate_of_proto22_style_k_ahp_reads_ca_with_and_without_hsolve():
    cells = {hs: _ahp_cell('/m%d' % hs, hs) for hs in (False, True)}
    for i in range(10):
        moose.setClock(i, 50e-6)
    moose.reinit()
    moose.start(0.5)
    # pymoose 5.0.0: Vm -0.07363636363636349 (EE), -0.07363636363636594
    # (HSolve), Gk = Gbar/2 = 3.141592653589794e-09, Z 0.5 (Vm read: Z 0,
    # Vm -0.06)
    for hs, (t, k) in cells.items():
        v = np.array(t.vector)
        assert len(v) == 10001
        assert abs(v[-1] - -0.07363636363636349) < 1e-13, hs
        assert abs(k.Gk - 3.141592653589794e-09) < 1e-20, hs
        assert abs(k.Z - 0.5) < 1e-11, hs
