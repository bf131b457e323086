"""The MOOSE 4.x chemDistrib form ``[chem, elecPath, 'install', expr]``
(MOOSE 5.0.0 rejects it; its tutorials ex6-ex8, ex10 use it) checked
against the physics those tutorials state: diffusion spreads as
<x^2> = <x0^2> + 2 D t with the amount conserved (ex7.1), a motor moves the
molecules at motorConst (ex7.3), the built-in oscillator, well mixed, spirals into its fixed point (ex6.0)."""

import numpy as np
import pytest

import moosepy as moose
import moosepy.rdesigner as rd


def _pool_proto(name, **fields):
    moose.Neutral('/library')
    moose.Neutral('/library/' + name)
    moose.CubeMesh(f'/library/{name}/dend')
    a = moose.Pool(f'/library/{name}/dend/A')
    for k, v in fields.items():
        setattr(a, k, v)


def test_install_form_diffusion_spreads_as_2Dt():
    D = 1e-10
    _pool_proto('diffn', diffConst=D)
    rdes = rd.rdesigneur(turnOffElec=True, diffusionLength=1e-6,
                         cellProto=[['somaProto', 'soma', 2e-6, 200e-6]],
                         chemProto=[['diffn', 'diffn']],
                         chemDistrib=[['diffn', 'soma', 'install', '1']])
    rdes.buildModel()
    assert moose.element('/model/chem/dend').className == 'NeuroMesh'
    av = moose.vec('/model/chem/dend/A')
    assert len(av) == 200
    for i in range(10):
        av[i].concInit = 1.0
    x = (np.arange(200) + 0.5) * 1e-6                   # voxel centres [m]
    moose.reinit()
    c0 = np.array(av.conc)
    m2_0 = (c0 * x ** 2).sum() / c0.sum()
    T = 4.0
    moose.start(T)
    c = np.array(av.conc)
    assert c.sum() == pytest.approx(c0.sum(), rel=1e-9)     # conserved
    spread = (c * x ** 2).sum() / c.sum() - m2_0
    assert spread == pytest.approx(2 * D * T, rel=0.02)     # reflecting end at x = 0


def test_install_form_motor_transport():
    _pool_proto('transp', diffConst=0.0, motorConst=1e-6)
    rdes = rd.rdesigneur(turnOffElec=True, diffusionLength=0.5e-6,
                         cellProto=[['somaProto', 'soma', 2e-6, 50e-6]],
                         chemProto=[['transp', 'transp']],
                         chemDistrib=[['transp', 'soma', 'install', '1']],
                         plotList=[['soma', '1', 'dend/A', 'conc', 'A']])
    rdes.buildModel()
    moose.element('/model/chem/dend/A[0]').concInit = 0.1
    av = moose.vec('/model/chem/dend/A')
    x = (np.arange(len(av)) + 0.5) * 0.5e-6
    moose.reinit()
    c0 = np.array(av.conc)
    moose.start(10.0)
    c = np.array(av.conc)
    assert c.sum() == pytest.approx(c0.sum(), rel=1e-9)
    centroid = (c * x).sum() / c.sum() - (c0 * x).sum() / c0.sum()
    assert centroid == pytest.approx(1e-6 * 10.0, rel=0.05)  # motorConst x t
    assert len(moose.vec('/model/graphs/plot0')) == len(av)


def test_install_form_oscillator_oscillates():
    rdes = rd.rdesigneur(turnOffElec=True, diffusionLength=1e-3,
                         chemProto=[['makeChemOscillator()', 'osc']],
                         chemDistrib=[['osc', 'soma', 'install', '1']],
                         plotList=[['soma', '1', 'dend/a', 'conc', 'a Conc']])
    rdes.buildModel()
    assert moose.exists('/model/chem/dend/a') and moose.exists('/model/chem/dend/ksolve')
    moose.reinit()
    moose.start(200)
    a = np.asarray(moose.element('/model/graphs/plot0').vector)
    # one well-mixed voxel: damped oscillations about the fixed point (as
    # pymoose 5.0.0 gives for the same system)
    d = a - a[-1]
    crossings = np.count_nonzero(np.diff(np.sign(d[5:])) != 0)
    assert crossings >= 3
    assert np.abs(d[150:]).max() < 0.2 * np.abs(d[:50]).max()
