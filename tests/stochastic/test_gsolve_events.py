"""Gsolve events and SBML assignment rules on the stochastic path: exact
state triggers (checked after every firing, not at output times), time
triggers at their exact time whatever the clock's chunks, the clock-driven
path and the ensemble runner giving the same trajectory, and refusals.

The DSMTS cases 00019, 00028, 00029, 00032 and 00033 (test_dsmts.py) are the
statistical oracle; these tests check exact identities that a wrong
implementation breaks."""

import numpy as np
import pytest

import moosepy as moose
from moosepy.stochastic.ensemble import run_ensemble
from moosepy.stochastic.events import (SsaEvent, Threshold, Assignment, set_events,
                                       get_events, event_fires)

from gsolve_models import immigration_death, dimerisation, table

pytestmark = pytest.mark.stochastic


def _reset_event(p, p2, cap=30):
    """00033's event: when P2 > cap, P = 100 and P2 = 0."""
    return SsaEvent('reset', when=Threshold({p2.path: 1.0}, -float(cap)),
                    assign=(Assignment(p.path, const=100), Assignment(p2.path, const=0)))


def test_state_trigger_fires_at_the_firing_that_crosses_it():
    """2P <-> P2 (00033's rates) with 'P2 > 30 -> P = 100, P2 = 0', clock-driven
    with tables every 5 s.  Exact triggering resets P2 at the very firing that
    makes it 31, so every reset removes exactly 31 net dimerisations:
    fires(dim) - fires(undim) = 31 * resets + P2(end), an identity that
    fails as soon as P2 overshoots 31 between two checks (checking at output
    times, or per clock chunk, would)."""
    g, p, p2 = dimerisation(0.0005, 0.01, 100, seed=7)
    set_events(g, [_reset_event(p, p2)])
    tab = table(p2)
    tp = table(p)
    moose.setClock(18, 5.0)
    moose.reinit()
    moose.start(2000)
    lab = list(g.rateLabels)
    fires = g.numFire[0]
    d, u = fires[lab.index('/m/dim:f')], fires[lab.index('/m/dim:b')]
    n_reset = event_fires(g)['reset']
    assert n_reset >= 20                       # it fires again and again
    assert d - u == 31 * n_reset + p2.n
    v = tab.vector
    assert v.max() <= 30 and np.all(v == np.round(v))
    np.testing.assert_array_equal(tp.vector + 2 * v, 100.0)   # conserved by both
    # the ensemble runner honours it the same way (trajectory 0 = this run)
    res = run_ensemble(g, 200, np.arange(0.0, 2001.0, 5.0), pools=[p2], seed=7)
    np.testing.assert_array_equal(res.counts[:, 0, 0], v)
    assert res.counts.max() <= 30
    f = res.fires
    ld = list(g.rateLabels)
    dd, uu = f[:, ld.index('/m/dim:f')], f[:, ld.index('/m/dim:b')]
    np.testing.assert_array_equal(dd - uu, 31 * res.event_fires[:, 0] +
                                  res.counts[-1, :, 0])


def test_time_trigger_fires_at_its_time_whatever_the_chunks():
    """Immigration-death with 'at t = 12.5: X = 40' (00028-like): the table at
    12.5 reads exactly 40; cutting the run into clock chunks that straddle
    12.5, or running tick by tick (Gsolve._process), gives the bit-identical
    trajectory; the ensemble's trajectory 0 is the same; the event fires
    once."""
    def run(chunks, dt=0.5, tick_by_tick=False):
        if moose.exists('/m'):
            moose.delete('/m')
        g, x = immigration_death(seed=11)
        set_events(g, [SsaEvent('jump', at=12.5, assign=(Assignment(x.path, const=40),))])
        tab = table(x)
        if tick_by_tick:          # a table on a field no solver owns: Python loop
            t = moose.Table2('/m/kf_tab')
            moose.connect(t, 'requestOut', moose.element('/m/death'), 'getNumKf')
        moose.setClock(18, dt)
        moose.reinit()
        for c in chunks:
            moose.start(c)
        return g, x, tab.vector.copy()
    g, x, a = run([30.0])
    assert a[25] == 40                          # t = 12.5, after the event
    assert event_fires(g) == {'jump': 1}
    res = run_ensemble(g, 50, np.arange(0.0, 30.01, 0.5), pools=[x], seed=11)
    np.testing.assert_array_equal(res.counts[:, 0, 0], a)
    assert np.all(res.counts[25, :, 0] == 40) and np.all(res.event_fires == 1)
    _, _, b = run([7.3, 9.1, 13.6])
    np.testing.assert_array_equal(a, b)
    _, _, c = run([30.0], tick_by_tick=True)     # Gsolve._process, tick by tick
    np.testing.assert_array_equal(a, c)


def test_event_assignment_from_counts_and_function_reevaluated():
    """'at t = 4: X = 2 X' (an assignment reading counts) with a Function
    y = 2 X (an assignment rule as the SBML reader makes it): y = 2 X at
    every sample, so the Function is re-evaluated after the event; and, same
    seed, the run without the event is the same trajectory up to t = 4,
    where this one reads twice its count."""
    def run(events):
        if moose.exists('/m'):
            moose.delete('/m')
        g, x = immigration_death(x0=5, seed=3)
        y = moose.Pool('/m/y')
        f = moose.Function('/m/y_rule')
        f.expr = '2 * x0'
        moose.connect(x, 'nOut', f.x[0], 'input')
        moose.connect(f, 'valueOut', y, 'setN')
        set_events(g, events)
        tx, ty = table(x), table(y)
        moose.setClock(18, 0.5)
        moose.reinit()
        moose.start(10)
        return g, tx.vector.copy(), ty.vector.copy()
    _, plain, _ = run([])
    g, tx, ty = run([SsaEvent('double', at=4.0,
                              assign=(Assignment('/m/x', {'/m/x': 2}),))])
    np.testing.assert_array_equal(ty, 2 * tx)
    assert event_fires(g) == {'double': 1}
    np.testing.assert_array_equal(tx[:8], plain[:8])      # t < 4
    assert tx[8] == 2 * plain[8] and plain[8] > 0         # t = 4


# ---------------------------------------------------------------- SBML
SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="bd" substanceUnits="item" timeUnits="second">
  <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
  <listOfSpecies>
   <species id="X" compartment="c" initialAmount="10" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
   <species id="y" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="a" value="9" constant="true"/><parameter id="mu" value="0.5" constant="true"/>
  </listOfParameters>
  <listOfRules>
   <assignmentRule variable="y"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><cn type="integer">2</cn><ci>X</ci></apply></math></assignmentRule>
  </listOfRules>
  <listOfReactions>
   <reaction id="birth" reversible="false">
    <listOfProducts><speciesReference species="X" stoichiometry="1" constant="true"/>
    </listOfProducts>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>a</ci></math>
    </kineticLaw>
   </reaction>
   <reaction id="death" reversible="false">
    <listOfReactants><speciesReference species="X" stoichiometry="1" constant="true"/>
    </listOfReactants>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
     <apply><times/><ci>mu</ci><ci>X</ci></apply></math></kineticLaw>
   </reaction>
  </listOfReactions>
  <listOfEvents>
   <event id="EID" useValuesFromTriggerTime="true">
    <trigger initialValue="false" persistent="true">
     <math xmlns="http://www.w3.org/1998/Math/MathML">TRIGGER</math></trigger>
    DELAY
    <listOfEventAssignments>
     <eventAssignment variable="X"><math xmlns="http://www.w3.org/1998/Math/MathML">
      VALUE</math></eventAssignment>
    </listOfEventAssignments>
   </event>
  </listOfEvents>
 </model>
</sbml>
"""
TIME = '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>'
X_GT_20 = '<apply><gt/><ci>X</ci><cn type="integer">20</cn></apply>'


def _sbml(tmp_path, eid='cap', trigger=X_GT_20, value='<cn type="integer">0</cn>', delay=''):
    f = tmp_path / 'm.xml'
    f.write_text(SBML.replace('EID', eid).replace('TRIGGER', trigger)
                 .replace('VALUE', value).replace('DELAY', delay))
    return f


def test_sbml_rule_and_state_event_on_the_clock_path(tmp_path):
    """readSBML(gssa): y = 2X becomes a Function (y exact at every sample) and
    'X > 20 -> X = 0' a state event: X is never seen above 20, and births -
    deaths = 21 * firings + X(end) - X(0) exactly."""
    moose.readSBML(str(_sbml(tmp_path)), '/model', solver='gssa')
    g = moose.element('/model/c/gsolve')
    g.seed = 4
    [ev] = get_events(g)
    assert ev.id == 'cap' and ev.when.strict and ev.when.const == -20.0
    X, y = moose.element('/model/c/X'), moose.element('/model/c/y')
    tx, ty = moose.Table2('/model/tx'), moose.Table2('/model/ty')
    moose.connect(tx, 'requestOut', X, 'getN')
    moose.connect(ty, 'requestOut', y, 'getN')
    moose.setClock(18, 0.5)
    moose.reinit()
    moose.start(100)
    np.testing.assert_array_equal(ty.vector, 2 * tx.vector)
    assert tx.vector.max() <= 20
    lab = list(g.rateLabels)
    fires = g.numFire[0]
    b, d = fires[lab.index('/model/c/birth:f')], fires[lab.index('/model/c/death:f')]
    n = event_fires(g)['cap']
    assert n >= 3 and b - d == 21 * n + X.n - 10


@pytest.mark.parametrize('eid, kw, why', [
    ('late', dict(trigger=f'<apply><geq/>{TIME}<cn>5</cn></apply>',
                  delay='<delay><math xmlns="http://www.w3.org/1998/Math/MathML"><cn>1</cn>'
                        '</math></delay>'), 'delay'),
    ('both', dict(trigger=f'<apply><and/>{X_GT_20}<apply><geq/>{TIME}<cn>5</cn></apply>'
                          '</apply>'), 'one comparison'),
    ('half', dict(value='<apply><divide/><ci>X</ci><cn>2</cn></apply>'), 'whole'),
    ('mixed', dict(trigger=f'<apply><gt/><ci>X</ci>{TIME}</apply>'), 'mixes time'),
])
def test_sbml_events_gssa_cannot_express_are_refused_tree_unchanged(tmp_path, eid, kw, why):
    f = _sbml(tmp_path, eid, **kw)
    with pytest.raises(moose.SolverError, match=f"event '{eid}'.*{why}"):
        moose.readSBML(str(f), '/model', solver='gssa')
    assert not moose.exists('/model')
    moose.readSBML(str(f), '/model')            # the deterministic path takes it


def test_bad_events_raise_naming_the_event():
    g, x = immigration_death(x0=5, seed=1)
    with pytest.raises(moose.SolverError, match="'half'.*non-integer"):
        set_events(g, [SsaEvent('half', at=1.0, assign=(Assignment(x.path, {x.path: 0.5}),))])
    with pytest.raises(moose.SolverError, match="'two'.*exactly one trigger"):
        set_events(g, [SsaEvent('two', at=1.0, when=Threshold({x.path: 1.0}))])
    # a pool outside the solver: refused at reinit
    set_events(g, [SsaEvent('far', at=1.0, assign=(Assignment('/nowhere/z', const=1),))])
    with pytest.raises(moose.SolverError, match="'far'.*/nowhere/z"):
        moose.reinit()
    # a count made negative: refused when it happens
    set_events(g, [SsaEvent('drain', at=1.0, assign=(Assignment(x.path, {x.path: 1},
                                                                -1000),))])
    moose.reinit()
    with pytest.raises(moose.SolverError, match="'drain'.*negative"):
        moose.start(2)
    # events need the exact method
    g.method = 'tau'
    moose.reinit()
    with pytest.raises(moose.SolverError, match="drain.*'ssa'"):
        moose.start(2)


def test_sbml_rule_species_as_reactant_drives_the_propensity(tmp_path):
    """y = 2X (a boundary species set by the rule) is the reactant of
    y -> Z with law 0.1 y: the propensity must follow y between firings.
    X0 = 40, birth 5/s, death 0.5/s: E[X(t)] = 10 + 30 exp(-t/2), so
    E[Z(10 s)] = 0.2 (100 + 60 (1 - exp(-5))) = 31.92 (a y frozen at its
    initial 80 would give 80); 4000 runs, |mean - E| < 4 standard errors."""
    text = _sbml(tmp_path).read_text()
    text = text.replace('<species id="X" compartment="c" initialAmount="10"',
                        '<species id="X" compartment="c" initialAmount="40"')
    i, j = text.index('<listOfEvents>'), text.index('</listOfEvents>')
    text = text[:i] + text[j + len('</listOfEvents>'):]
    text = text.replace('value="9"', 'value="5"')
    text = text.replace('<species id="y" compartment="c" initialAmount="0" '
                        'hasOnlySubstanceUnits="true"\n            boundaryCondition="false"',
                        '<species id="y" compartment="c" initialAmount="0" '
                        'hasOnlySubstanceUnits="true"\n            boundaryCondition="true"')
    text = text.replace('</listOfSpecies>', '<species id="Z" compartment="c" initialAmount="0" '
                        'hasOnlySubstanceUnits="true" boundaryCondition="false" '
                        'constant="false"/></listOfSpecies>')
    text = text.replace('</listOfReactions>', """<reaction id="conv" reversible="false">
     <listOfReactants><speciesReference species="y" stoichiometry="1" constant="true"/>
     </listOfReactants>
     <listOfProducts><speciesReference species="Z" stoichiometry="1" constant="true"/>
     </listOfProducts>
     <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
      <apply><times/><cn>0.1</cn><ci>y</ci></apply></math></kineticLaw>
    </reaction></listOfReactions>""")
    f = tmp_path / 'y.xml'
    f.write_text(text)
    moose.readSBML(str(f), '/model', solver='gssa')
    assert moose.element('/model/c/conv').numKf == pytest.approx(0.1)
    g = moose.element('/model/c/gsolve')
    res = run_ensemble(g, 4000, np.array([0.0, 10.0]), pools=['/model/c/Z', '/model/c/y',
                                                               '/model/c/X'], seed=2)
    np.testing.assert_array_equal(res.counts[:, :, 1], 2 * res.counts[:, :, 2])
    Z = res.counts[-1, :, 0]
    expected = 0.2 * (100.0 + 60.0 * (1.0 - np.exp(-5.0)))
    assert res.counts[0, 0, 1] == 80
    assert abs(Z.mean() - expected) < 4 * Z.std(ddof=1) / np.sqrt(Z.size)
