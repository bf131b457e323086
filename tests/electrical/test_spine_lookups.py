"""Neuron's spine lookups and Spine's edge cases (moosepy only: pymoose
5.0.0's Python bindings raise TypeError on the ObjId-keyed lookups
spineFromCompartment, spinesOnCompartment, parentCompartmentOfSpine).
Expected values follow from the construction: one spine per 10 um
dendrite compartment, spines spaced 10 um."""

import pytest

import moosepy as moose
import moosepy.rdesigner as rd
from moosepy.core.errors import MooseError


@pytest.fixture
def cell():
    for p in ('/model', '/library'):
        if moose.exists(p):
            moose.delete(p)
    rdes = rd.rdesigneur(
        stealCellFromLibrary=True,
        cellProto=[['ballAndStick', 'soma', 12e-6, 12e-6, 4e-6, 40e-6, 4]],
        spineProto=[['makePassiveSpine()', 'spine']],
        spineDistrib=[['spine', '#dend#', '10e-6', '-1e-6', '1', '0', '0', '0']])
    rdes.buildModel()
    yield moose.element('/model/elec')
    for p in ('/model', '/library'):
        if moose.exists(p):
            moose.delete(p)


def test_lookups(cell):
    assert cell.numSpines == 4
    v = moose.vec('/model/elec/spine')
    assert len(v) == 4
    for i in range(4):
        head = moose.element('/model/elec/head%d' % i)
        shaft = moose.element('/model/elec/shaft%d' % i)
        s = cell.spineFromCompartment[head]
        assert s.path == '/model[0]/elec[0]/spine[%d]' % i and s.fieldIndex == i
        assert cell.spineFromCompartment[shaft].fieldIndex == i
        assert s.head.name == head.name and s.shaft.name == shaft.name
        par = cell.parentCompartmentOfSpine[head]
        assert par.name == 'dend%d' % i
        assert [c.name for c in cell.spinesOnCompartment[par]] == ['shaft%d' % i, 'head%d' % i]
    assert cell.spineFromCompartment[moose.element('/model/elec/soma')].path in ('/', '/[0]')
    assert cell.spinesOnCompartment[moose.element('/model/elec/soma')] == []


def test_without_chemistry_only_electrical(cell):
    """No setSpineAndPsdMesh: resizing changes the compartments only."""
    s = moose.element('/model/elec/spine[2]')
    h = moose.element('/model/elec/head2')
    rm, cm = h.Rm, h.Cm
    s.headDiameter = 2 * s.headDiameter
    assert h.Rm == pytest.approx(rm / 2, rel=1e-12)
    assert h.Cm == pytest.approx(cm * 2, rel=1e-12)
    assert s.psdArea == pytest.approx(3.141592653589793 / 4 * h.diameter ** 2, rel=1e-15)


def test_sizes_and_errors(cell):
    s = moose.element('/model/elec/spine[0]')
    s.minimumSize = 0.1e-6
    assert moose.element('/model/elec/spine[3]').minimumSize == 0.1e-6   # one per Neuron
    s.shaftDiameter = 1e-9
    assert s.shaftDiameter == pytest.approx(0.1e-6, rel=1e-12)
    assert s.angle == 0.0 and s.inclination == 0.0
    with pytest.raises(MooseError, match='SpineMesh'):
        cell.setSpineAndPsdMesh(moose.CubeMesh('/model/c1'), moose.CubeMesh('/model/c2'))
    lone = moose.Spine('/model/lone')          # MOOSE lets one be made: it has no spine
    assert lone.headDiameter == 0.0
    lone.headDiameter = 1e-6
    assert lone.headDiameter == 0.0


def test_copy_has_its_own_spines(cell):
    """A copied Neuron's Spine entries resize the copy's compartments (in
    MOOSE 5.0 they keep reading the original cell)."""
    moose.copy(cell, '/model', 'elec2')
    c2 = moose.element('/model/elec2')
    assert c2.numSpines == 4
    s = moose.element('/model/elec2/spine[1]')
    assert s.head.path.startswith('/model[0]/elec2[0]/head1')
    d0 = moose.element('/model/elec/head1').diameter
    s.headDiameter = 0.9e-6
    assert moose.element('/model/elec2/head1').diameter == pytest.approx(0.9e-6, rel=1e-15)
    assert moose.element('/model/elec/head1').diameter == d0
