"""Bugs the fuzz suite found with seed 3 (1000 kkit mutants; issue 15,
item 5), each pinned by a small file:

* a kkit reaction with 55 substrate messages (a line duplicated 50 times)
  in bcm.g's volume: numKf -> Kf multiplies by (NA V)^54, and Python's float
  power raised OverflowError; now a ModelImportError naming file and line.
  An Enz with 60 substrates read numKm with the same OverflowError.
* a kkit SIMDT of 1e-320 (subnormal): reinit's clock grid divided by it and
  int(inf) raised OverflowError.  A dt so small that start() would need more
  than 2^53 steps now raises a MooseError instead of running (for ever).
"""

import time
from pathlib import Path

import pytest

import moosepy as moose

from hostile_files import TIME_LIMIT

KKIT = Path(__file__).resolve().parents[3] / 'shared' / 'models-ref' / 'kkit'
need_kkit = pytest.mark.skipif(not (KKIT / 'bcm.g').is_file(), reason=f'{KKIT} absent')


@pytest.fixture(autouse=True)
def _clean():
    yield
    for p in ('/model', '/model2', '/t'):
        if moose.exists(p):
            moose.delete(p)


@need_kkit
def test_reaction_of_order_55_is_a_model_import_error(tmp_path):
    text = (KKIT / 'bcm.g').read_text()
    line = 'addmsg /kinetics/Ca_bind_CaM /kinetics/Ca REAC A B \n'
    assert line in text
    f = tmp_path / 'order55.g'
    f.write_text(text.replace(line, line * 51, 1))
    with pytest.raises(moose.ModelImportError,
                       match=r'order55\.g:\d+: /kinetics/Ca_bind_CaM: .*numKf = .*overflows '
                             r'\(55 reactants\)'):
        moose.loadModel(str(f), '/model')
    assert not moose.exists('/model')


@need_kkit
def test_enzyme_with_60_substrates_states_inf_and_refuses_k1(tmp_path):
    text = (KKIT / 'bcm.g').read_text()
    line = 'addmsg /kinetics/act_CaMKII/ph_AMPAR /kinetics/AMPAR REAC sA B \n'
    assert line in text
    f = tmp_path / 'enz60.g'
    f.write_text(text.replace(line, line * 60, 1))
    moose.loadModel(str(f), '/model')
    e = moose.element('/model/kinetics/act_CaMKII/ph_AMPAR')
    assert e.numSubstrates == 60
    assert e.numKm == float('inf') and e.Km > 0      # (NA V)^60 overflows: stated
    moose.reinit()
    moose.start(1.0)
    if e.className == 'Enz':
        with pytest.raises(moose.FieldError, match=r'k1 = 1\.0: .*overflows \(60 substrates\)'):
            e.k1 = 1.0
    with pytest.raises(moose.FieldError, match='Km'):
        e.numKm = 5.0


@need_kkit
def test_subnormal_simdt_loads_and_runs_as_the_file_with_the_usual_one(tmp_path):
    text = (KKIT / 'reaction.g').read_text()
    assert 'SIMDT = 0.01' in text
    f = tmp_path / 'tiny.g'
    f.write_text(text.replace('SIMDT = 0.01', 'SIMDT = 1e-320', 1))
    out = []
    for path, where in ((KKIT / 'reaction.g', '/model'), (f, '/model2')):
        moose.loadModel(str(path), where)
        moose.reinit()
        moose.start(1.0)
        out.append(sorted((p.name, p.n) for p in moose.wildcardFind(where + '/##[ISA=PoolBase]')))
        moose.delete(where)
    assert out[0] == out[1]


def test_a_dt_needing_more_than_2_53_steps_is_refused_in_time():
    moose.Neutral('/t')
    moose.Table('/t/tab')
    moose.setClock(8, 1e-300)
    moose.reinit()
    t0 = time.perf_counter()
    with pytest.raises(moose.MooseError, match=r'start\(1\.0\): 1e\+300 steps of the smallest '
                                                r'dt in use \(1e-300 s\); more than 2\^53'):
        moose.start(1.0)
    assert time.perf_counter() - t0 < TIME_LIMIT


SUITE26 = Path(__file__).resolve().parents[3] / 'shared' / 'sbml-test-suite' / 'semantic' / \
    '00026' / '00026-sbml-l3v2.xml'


@pytest.mark.skipif(not SUITE26.is_file(), reason=f'{SUITE26} absent')
def test_events_firing_without_time_advancing_raise_in_time(tmp_path):
    """Case 00026 with S1's stoichiometry 1e23: the event's trigger flips
    at every step (S1 is drained within ~1e-23 s), each integration ended
    at the next crossing, and start(1) ran for ever (seed 3, sbml mutant
    734).  Now a SolverError after 1000 firings without time advancing."""
    text = SUITE26.read_text()
    old = '<speciesReference species="S1" stoichiometry="1" constant="true"/>'
    assert old in text
    f = tmp_path / 'zeno.xml'
    f.write_text(text.replace(old, old.replace('"1"', '"99999999999999999999999"'), 1))
    moose.readSBML(str(f), '/model')
    moose.reinit()
    t0 = time.perf_counter()
    with pytest.raises(moose.SolverError, match=r'zeno\.xml: events fire over and over '
                                                r'without time advancing, at t = '):
        moose.start(1.0)
    assert time.perf_counter() - t0 < TIME_LIMIT


def test_cell_of_1e23_m_is_a_solver_error_not_zero_division():
    """A jardesigner cellProto whose dendDia is 1e23 (seed 3, rdspec mutant
    125): HSolve's numba kernel raised ZeroDivisionError (numba's Python
    error model) where plain Python gives nan."""
    import moosepy.rdesigner as rd
    doc = {'cellProto': {'type': 'branchedCell', 'somaDia': 10e-6, 'somaLen': 20e-6,
                         'dendDia': 99999999999999999999999, 'dendLen': 500e-6,
                         'numDendSeg': 10, 'branchDia': 1e-6, 'branchLen': 100e-6,
                         'branchNumSeg': 2}}
    rd.load(doc).buildModel()
    moose.reinit()
    with pytest.raises(moose.SolverError, match=r'/model/elec/hsolve: '):
        moose.start(1e-4)


def test_same_comment_keeps_a_yaml_document():
    """The fuzz oracle's 'same content' operator indented a YAML document's
    first line (seed 3: two 'wrong' results that were the operator's)."""
    yaml = pytest.importorskip('yaml')
    import random
    import fuzzlib
    data = b'cellProto:\n  type: ballAndStick\n  somaDia: 1.0e-05\nchanProto: []\n'
    out = fuzzlib.same_comment(data, random.Random(0), 'json')
    assert yaml.safe_load(out) == yaml.safe_load(data)
