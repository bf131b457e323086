"""An Adaptor vec (one entry per spine, as rdesigneur builds them) reads
and sends entry by entry: entry i averages what its own requestOut pulls
and sends to its own targets (analytic oracle: offset + scale * (mean -
inputOffset)); the per-entry message lists are read once per structure
and a message added between starts is seen."""

import numpy as np

import moosepy as moose


def _model(n):
    moose.Neutral('/m')
    src = moose.Compartment('/m/src', n)
    dst = moose.Compartment('/m/dst', n)
    for i in range(n):
        src.vec[i].Vm = src.vec[i].initVm = -0.07 + 0.001 * i
        src.vec[i].Em = src.vec[i].initVm
        src.vec[i].Rm, src.vec[i].Cm = 1e9, 1e-11
    ad = moose.Adaptor('/m/ad', n)
    moose.connect(ad, 'requestOut', src, 'getVm', 'OneToOne')
    moose.connect(ad, 'output', dst, 'setInject', 'OneToOne')
    ad.vec.inputOffset = -0.07
    ad.vec.scale = 1e-9
    ad.vec.outputOffset = 2e-12
    return src, dst, ad


def test_adaptor_vec_entries_go_to_their_own_targets():
    n = 40
    src, dst, ad = _model(n)
    moose.reinit()
    moose.start(0.25)
    vm = np.array([src.vec[i].Vm for i in range(n)])
    want = 2e-12 + 1e-9 * (vm - (-0.07))
    got = np.array([dst.vec[i].inject for i in range(n)])
    # src sits at rest (Vm = Em), so the last tick's value is exact
    assert np.allclose(got, want, rtol=1e-12, atol=1e-24)
    assert len(set(np.round(got, 20))) == n          # every entry its own value


def test_message_added_between_starts_is_seen():
    n = 5
    src, dst, ad = _model(n)
    moose.reinit()
    moose.start(0.2)
    extra = moose.Compartment('/m/extra')
    extra.initVm = extra.Em = -0.05
    extra.Rm, extra.Cm = 1e9, 1e-11
    moose.connect(ad.vec[2], 'requestOut', extra, 'getVm')
    moose.reinit()
    moose.start(0.2)
    # entry 2 now averages its own source (-0.068) and the extra one (-0.05)
    mean = (-0.068 + -0.05) / 2
    assert np.isclose(dst.vec[2].inject, 2e-12 + 1e-9 * (mean + 0.07), rtol=1e-12)
    assert np.isclose(dst.vec[3].inject, 2e-12 + 1e-9 * (0.003), rtol=1e-12)
