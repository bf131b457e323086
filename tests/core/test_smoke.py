import numpy as np
import moosepy as moose


def test_first_order_decay_table_alignment():
    """A -> 0 with Kf 0.1/s: Table2 at 1 s holds exp(-0.1 k) at index k,
    including the sample taken at reinit (as MOOSE)."""
    m = moose.CubeMesh('/m')
    m.volume = 1e-18
    a = moose.Pool('/m/a')
    a.concInit = 1.0
    r = moose.Reac('/m/r')
    moose.connect(r, 'sub', a, 'reac')
    r.Kf, r.Kb = 0.1, 0.0
    t = moose.Table2('/m/t')
    moose.connect(t, 'requestOut', a, 'getConc')
    s = moose.Stoich('/m/s')
    k = moose.Ksolve('/m/k')
    s.reacSystemPath = '/m/##'
    s.ksolve = k
    s.compartment = m
    moose.reinit()
    moose.start(10)
    v = t.vector
    assert len(v) == 11
    np.testing.assert_allclose(v, np.exp(-0.1 * np.arange(11)), rtol=1e-6)
