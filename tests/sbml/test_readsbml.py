"""readSBML / loadModel: the tree an SBML file becomes, its solver, tables,
and clean failure."""

import math
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose

SHARED = Path(__file__).resolve().parents[3] / 'shared'
CASE1 = SHARED / 'sbml-test-suite' / 'semantic' / '00001' / '00001-sbml-l3v2.xml'
KHOL = SHARED / 'models-ref' / 'moose-sbml' / 'Kholodenko_tosbml.xml'

needs_suite = pytest.mark.skipif(not CASE1.exists(), reason='SBML Test Suite folder absent')


def _write(tmp_path, body, name='m.xml'):
    p = tmp_path / name
    p.write_text(body)
    return p


DECAY = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="decay" substanceUnits="mole" volumeUnits="litre" timeUnits="second"
        extentUnits="mole">
  <listOfCompartments>
   <compartment id="cyt" size="2e-15" spatialDimensions="3" constant="true"/>
  </listOfCompartments>
  <listOfSpecies>
   <species id="A" compartment="cyt" initialConcentration="1e-3" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
   <species id="B" compartment="cyt" initialConcentration="0" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="k" value="0.5" constant="true"/>
  </listOfParameters>
  <listOfReactions>
   <reaction id="r1" reversible="false">
    <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/>
    </listOfReactants>
    <listOfProducts><speciesReference species="B" stoichiometry="1" constant="true"/>
    </listOfProducts>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
      <apply><times/><ci>k</ci><ci>A</ci><ci>cyt</ci></apply></math></kineticLaw>
   </reaction>
  </listOfReactions>
 </model>
</sbml>
"""


def test_tree_layout_and_units(tmp_path):
    f = _write(tmp_path, DECAY)
    root = moose.readSBML(str(f), '/model', build='engine')
    assert root.path == '/model[0]'
    mesh = moose.element('/model/cyt')
    assert mesh.className == 'CubeMesh'
    assert mesh.volume == pytest.approx(2e-18)          # 2e-15 L = 2e-18 m^3
    a = moose.element('/model/cyt/A')
    assert a.className == 'Pool'
    # 1e-3 M = 1 mM; n = 1e-3 mol/L * 2e-15 L * NA
    assert a.concInit == pytest.approx(1.0, rel=1e-12)
    assert a.nInit == pytest.approx(1e-3 * 2e-15 * moose.NA, rel=1e-12)
    sol = moose.element('/model/sbml_solver')
    assert sol.className == 'SbmlSolver'
    assert sol.getValue('k') == 0.5


def test_trajectory_matches_exponential_decay(tmp_path):
    f = _write(tmp_path, DECAY)
    moose.readSBML(str(f), '/model')
    a = moose.element('/model/cyt/A')
    tab = moose.Table2('/model/tabA')
    moose.connect(tab, 'requestOut', a, 'getConc')
    moose.reinit()
    moose.start(10.0)
    v = tab.vector
    t = np.arange(len(v)) * moose.element('/clock').tickDt[18]
    assert len(v) == 11
    np.testing.assert_allclose(v, np.exp(-0.5 * t), rtol=1e-8, atol=1e-14)
    b = moose.element('/model/cyt/B')
    assert a.conc + b.conc == pytest.approx(1.0, rel=1e-10)


def test_initial_conc_set_by_user_wins(tmp_path):
    f = _write(tmp_path, DECAY)
    moose.readSBML(str(f), '/model')
    a = moose.element('/model/cyt/A')
    a.concInit = 2.0
    moose.reinit()
    moose.start(2.0)
    assert a.conc == pytest.approx(2.0 * math.exp(-1.0), rel=1e-8)


@needs_suite
def test_loadmodel_dispatches_on_extension():
    root = moose.loadModel(str(CASE1), '/m1')
    assert moose.exists('/m1/compartment/S1')
    assert root.path == '/m1[0]'


@pytest.mark.skipif(not KHOL.exists(), reason='models-ref folder absent')
def test_moose_written_sbml_with_scaled_units_oscillates():
    """MOOSE's own SBML export of the Kholodenko MAPK oscillator (substance
    in mmol, volume 1.67e-21 m^3): MAPK_PP oscillates with a period of a
    few thousand seconds, as in Kholodenko (2000)."""
    moose.readSBML(str(KHOL), '/model')
    pp = moose.wildcardFind('/model/##[ISA=PoolBase]')
    names = {p.name: p for p in pp}
    tab = moose.Table2('/model/t')
    moose.connect(tab, 'requestOut', names['MAPK_PP_508_0_'], 'getConc')
    moose.reinit()
    moose.start(6000)
    v = tab.vector[1000:]
    assert v.max() > 2.5e-4 and v.min() < 5e-5       # mM: 0.3 uM peaks, 0.03 uM troughs
    # total MAPK (three forms + the MAPK_PP bound in the feedback complex)
    tot = sum(names[n].conc for n in ('MAPK_458_0_', 'MAPK_P_484_0_', 'MAPK_PP_508_0_',
                                      'inactiveRas_MKKK_498_0_'))
    assert tot == pytest.approx(3e-4, rel=1e-6)


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(moose.ModelImportError, match='unknown model file type'):
        moose.loadModel(str(tmp_path / 'x.foo'), '/m')
    with pytest.raises(moose.ModelImportError, match='no such file'):
        moose.loadModel(str(tmp_path / 'x.xml'), '/m')


def test_existing_path_refused_and_tree_unchanged(tmp_path):
    f = _write(tmp_path, DECAY)
    moose.Neutral('/model')
    before = [e.path for e in moose.wildcardFind('/##')]
    with pytest.raises(moose.ModelImportError, match='exists already'):
        moose.readSBML(str(f), '/model')
    assert [e.path for e in moose.wildcardFind('/##')] == before


def test_invalid_file_names_line_and_leaves_tree(tmp_path):
    bad = DECAY.replace('<ci>k</ci>', '<ci>kk</ci>')
    f = _write(tmp_path, bad)
    before = [e.path for e in moose.wildcardFind('/##')]
    with pytest.raises(moose.ModelImportError) as ei:
        moose.readSBML(str(f), '/model')
    assert str(f) in str(ei.value) and 'kk' in str(ei.value)
    assert [e.path for e in moose.wildcardFind('/##')] == before
    trunc = _write(tmp_path, DECAY[:700], 't.xml')
    with pytest.raises(moose.ModelImportError, match='line'):
        moose.readSBML(str(trunc), '/model')
    assert not moose.exists('/model')


SWC = SHARED / 'models-ref' / 'swc' / 'h10.CNG.swc'
PFILE = SHARED / 'models-ref' / 'genesis-p' / 'soma.p'


@pytest.mark.skipif(not SWC.exists(), reason='models-ref folder absent')
def test_loadmodel_reads_swc():
    cell = moose.loadModel(str(SWC), '/cell')
    comps = moose.wildcardFind('/cell/##[ISA=Compartment]')
    assert cell.className == 'Neuron' and len(comps) > 10


def test_unsupported_constructs_are_logged(tmp_path, caplog):
    body = DECAY.replace('<kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">\n'
                         '      <apply><times/><ci>k</ci><ci>A</ci><ci>cyt</ci></apply>'
                         '</math></kineticLaw>', '')
    assert body != DECAY
    f = _write(tmp_path, body)
    with caplog.at_level('WARNING', logger='moosepy.sbml'):
        moose.readSBML(str(f), '/model', build='engine')
    assert any("reaction 'r1' has no kinetic law" in r.getMessage() for r in caplog.records)
    assert moose.element('/model/sbml_solver').unsupported


DIMER = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="dimer" substanceUnits="item">
  <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
  <listOfSpecies>
   <species id="P" compartment="c" initialAmount="100" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
   <species id="P2" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="k1" value="0.002" constant="true"/><parameter id="k2" value="0.5" constant="true"/>
  </listOfParameters>
  <listOfReactions>
   <reaction id="dim" reversible="false">
    <listOfReactants><speciesReference species="P" stoichiometry="2" constant="true"/>
    </listOfReactants>
    <listOfProducts><speciesReference species="P2" stoichiometry="1" constant="true"/>
    </listOfProducts>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">LAW</math></kineticLaw>
   </reaction>
  </listOfReactions>
 </model>
</sbml>
"""
MA_LAW = ('<apply><divide/><apply><times/><ci>k1</ci><ci>P</ci><apply><minus/><ci>P</ci>'
          '<cn>1</cn></apply></apply><cn>2</cn></apply>')
HILL_LAW = ('<apply><divide/><apply><times/><ci>k1</ci><ci>P</ci></apply><apply><plus/>'
            '<ci>k2</ci><ci>P</ci></apply></apply>')


def test_gssa_measures_mass_action_laws(tmp_path):
    """The DSMTS dimerisation law k1 P (P-1)/2 is MOOSE's 2P -> P2 with
    numKf = k1/2 (a Reac fires at numKf P (P-1))."""
    f = _write(tmp_path, DIMER.replace('LAW', MA_LAW))
    moose.readSBML(str(f), '/model', solver='gssa')
    r = moose.element('/model/c/dim')
    assert r.className == 'Reac'
    assert r.numKf == pytest.approx(0.001, rel=1e-12)
    assert len(moose.wildcardFind('/model/##[ISA=Gsolve]')) == 1
    assert moose.element('/model/c/P').nInit == 100


def test_gssa_other_laws_drive_numkf_through_a_function(tmp_path):
    """A Hill-type law keeps its 2P -> P2 Reac; a Function sets numKf to
    law / (P (P-1)), so the propensity is the law itself."""
    f = _write(tmp_path, DIMER.replace('LAW', HILL_LAW))
    moose.readSBML(str(f), '/model', solver='gssa')
    fn = moose.element('/model/c/dim_rate')
    assert fn.className == 'Function'
    from moosepy.kinetics.expr import parse, evaluate
    prog = parse(fn.expr, 'test')
    for n in (2.0, 7.0, 60.0):
        numkf = evaluate(prog, [n])
        law = 0.002 * n / (0.5 + n)              # items/s (substance 'item')
        assert numkf * n * (n - 1) == pytest.approx(law, rel=1e-12)
    assert evaluate(prog, [1.0]) == 0.0          # no pair of P: the Reac cannot fire


FACT_LAW = '<apply><times/><ci>k1</ci><apply><factorial/><ci>P</ci></apply></apply>'


def test_gssa_refuses_what_it_cannot_evaluate_and_leaves_tree(tmp_path):
    f = _write(tmp_path, DIMER.replace('LAW', FACT_LAW))
    with pytest.raises(moose.SolverError, match="'dim'.*cannot evaluate"):
        moose.readSBML(str(f), '/model', solver='gssa')
    assert not moose.exists('/model')
    moose.readSBML(str(f), '/model')              # the ODE path takes any law
    assert moose.exists('/model/sbml_solver')
