"""NeuroML 1.x cells (moosepy.electrical.neuroml1, moose.neuroml.NeuroML).

Oracles: pymoose 5.0.0 (side venv, tests/side_pymoose.py) for the
tutorials' CA1.morph.xml (morphology only, and the same cell with constant
channel densities), a HSolve run and rdesigneur with the file; formulas for
a one-segment cell; error cases by construction."""

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import moosepy as moose
from moosepy.core.errors import ModelImportError
from moosepy.neuroml import NeuroML

from side_pymoose import run_both

RD = Path('/work/shared/moose-examples/tutorials/Rdesigneur')
CA1 = RD / 'cells' / 'CA1.morph.xml'
CHANS = RD / 'chans'
need_files = pytest.mark.skipif(not CA1.exists(), reason='moose-examples corpus absent')


@pytest.fixture(autouse=True)
def _clean():
    for p in ('/library', '/model'):
        if moose.exists(p):
            moose.delete(p)
    yield


# ------------------------------------------------------------ pymoose side
_HEAD = r'''
import sys, json
who = sys.argv[1]
if who == 'moose':
    import moose
    import moose.utils as _mu
    # pymoose 5.0.0's MorphML calls moose.utils.connect_CaConc, which 5.0.0
    # lacks (AttributeError for any file with <biophysics>); it only wires
    # CaConc pools, and these cells have none
    if not hasattr(_mu, 'connect_CaConc'):
        _mu.connect_CaConc = lambda *a, **k: None
    from moose.neuroml import NeuroML
else:
    import moosepy as moose
    from moosepy.neuroml import NeuroML
'''

_DUMP = _HEAD + r'''
cd, msg = NeuroML().readNeuroMLFromFile(FILE, params={'combineSegments': COMB})
rows = {}
for c in moose.wildcardFind('/library/##[ISA=CompartmentBase]'):
    kids = [moose.element(k) for k in c.children]
    chans = sorted([k.name, k.Gbar, k.Ek, [e.path.replace('[0]', '') for e in k.neighbors['channel']]]
                   for k in kids if k.className == 'HHChannel')
    rows[c.path.replace('[0]', '')] = dict(
        cls=c.className, geo=[c.x0, c.y0, c.z0, c.x, c.y, c.z, c.diameter, c.length],
        elec=[c.Rm, c.Ra, c.Cm, c.Em, c.initVm],
        raxial=sorted(e.path.replace('[0]', '') for e in c.neighbors['raxial']),
        axial=sorted(e.path.replace('[0]', '') for e in c.neighbors['axial']),
        kids=sorted(k.name for k in kids), chans=chans,
        groups=moose.element(c.path + '/cable_groups').value)
name = sorted(cd)[0]
seg, cab = cd[name]
print('JSON' + json.dumps(dict(rows=rows, msg=msg, cells=sorted(cd),
      seg={k: [v[0], list(v[1]), list(v[2]), v[3], v[4], v[5]] for k, v in seg.items()},
      cab=cab)))
'''


def _close(a, b, rtol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.all(np.abs(a - b) <= rtol * np.maximum(np.abs(a),
                                                                            np.abs(b)))


def _compare_dumps(ref, got):
    r, g = ref['rows'], got['rows']
    assert sorted(r) == sorted(g)
    for path, a in r.items():
        b = g[path]
        assert a['cls'] == b['cls'] == 'Compartment', path
        assert _close(a['geo'], b['geo']), (path, a['geo'], b['geo'])
        assert _close(a['elec'], b['elec']), (path, a['elec'], b['elec'])
        for k in ('raxial', 'axial', 'kids', 'groups'):
            assert a[k] == b[k], (path, k, a[k], b[k])
        assert [c[0] for c in a['chans']] == [c[0] for c in b['chans']], path
        for ca, cb in zip(a['chans'], b['chans']):
            assert _close(ca[1:3], cb[1:3]) and ca[3] == cb[3], (path, ca, cb)
    assert ref['msg'] == got['msg'] and ref['cells'] == got['cells']
    assert sorted(ref['seg']) == sorted(got['seg'])
    for k, a in ref['seg'].items():
        b = got['seg'][k]
        assert a[0] == b[0] and a[5] == b[5]
        assert _close(a[1] + a[2] + [a[3], a[4]], b[1] + b[2] + [b[3], b[4]])
    assert ref['cab'] == got['cab']


def _script(template, **subs):
    for k, v in subs.items():
        template = template.replace(k, v)
    return template


@need_files
@pytest.mark.parametrize('comb, n', [(False, 2243), (True, 173)])
def test_ca1_morphology_as_pymoose(comb, n):
    out = run_both(_script(_DUMP, FILE=repr(str(CA1)), COMB=repr(comb)), timeout=300)
    ref, got = out['moose'], out['moosepy']
    assert len(ref['rows']) == n
    _compare_dumps(ref, got)


def _ca1_with_channels(tmp):
    """chans/CA1.morph.xml without its variable_parameter mechanisms
    (pymoose 5.0.0 crashes on them) and without hd (whose gmax -1e8 in some
    groups is a neuroConstruct placeholder for them), beside its channel files."""
    text = (CHANS / 'CA1.morph.xml').read_text()
    for block in re.findall(r'<bio:mechanism .*?</bio:mechanism>', text, re.S):
        if 'variable_parameter' in block or 'name="hd"' in block:
            text = text.replace(block, '')
    tmp.mkdir(exist_ok=True)
    out = tmp / 'CA1.morph.xml'
    out.write_text(text)
    for ch in ('kdr', 'kap', 'na3', 'nax'):
        shutil.copy(CHANS / f'{ch}.xml', tmp / f'{ch}.xml')
    return out


@need_files
def test_ca1_channels_as_pymoose(tmp_path):
    f = _ca1_with_channels(tmp_path / 'cell')
    out = run_both(_script(_DUMP, FILE=repr(str(f)), COMB='True'), timeout=300)
    ref, got = out['moose'], out['moosepy']
    soma = ref['rows']['/library/CA1/Seg0_soma_0_0']
    assert [c[0] for c in soma['chans']] == ['kap', 'kdr', 'na3']
    assert soma['elec'][3] == pytest.approx(-0.058)       # pas e, physiological units
    _compare_dumps(ref, got)


_SIM = _HEAD + r'''
NeuroML().readNeuroMLFromFile(FILE, params={'combineSegments': True})
moose.Neutral('/model')
moose.copy(moose.element('/library/CA1'), '/model', 'CA1')
soma = moose.element('/model/CA1/Seg0_soma_0_0')
soma.inject = 2e-10
dt = 25e-6
for i in range(10):
    moose.setClock(i, dt)
h = moose.HSolve('/model/CA1/hsolve')
h.dt = dt
h.target = soma.path
tab = moose.Table('/model/tab')
moose.connect(tab, 'requestOut', soma, 'getVm')
moose.reinit()
moose.start(0.05)
print('JSON' + json.dumps({'vm': list(tab.vector)}))
'''


@need_files
def test_ca1_hsolve_soma_vm_as_pymoose(tmp_path):
    """50 ms of 0.2 nA into the soma of the 173-compartment CA1 with kdr,
    kap, na3, nax under HSolve: it fires, and Vm follows pymoose to 1e-8
    of its range (measured 2.3e-12 V)."""
    f = _ca1_with_channels(tmp_path / 'cell')
    out = run_both(_script(_SIM, FILE=repr(str(f))), timeout=900)
    va, vb = out['moose']['vm'], out['moosepy']['vm']
    assert va.shape == vb.shape == (2001,)
    assert va.max() > 0.0                     # spikes
    assert np.max(np.abs(va - vb)) <= 1e-8 * (va.max() - va.min())


_RDES = r'''
import sys, json, os
who = sys.argv[1]
if who == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose
    import moosepy.rdesigner as rd
os.chdir(DIR)
rdes = rd.rdesigneur(cellProto=[['./cells/CA1.morph.xml', 'elec']], combineSegments=True,
    passiveDistrib=[['#', 'RM', '2.8', 'CM', '0.01', 'RA', '1.5', 'Em', '-58e-3',
                     'initVm', '-65e-3']],
    stimList=[['#soma#', '1', '.', 'inject', '(t>0.01 && t<0.03) * 1e-10']],
    plotList=[['#soma#', '1', '.', 'Vm', 'soma Vm']])
rdes.buildModel()
comps = moose.wildcardFind('/model/elec/#[ISA=CompartmentBase]')
moose.reinit()
moose.start(0.05)
print('JSON' + json.dumps({'names': sorted(c.name for c in comps),
                           'vm': list(moose.element('/model/graphs/plot0').vector)}))
'''


@need_files
def test_rdesigneur_cellproto_morphml_as_pymoose():
    out = run_both(_script(_RDES, DIR=repr(str(RD))), timeout=300)
    a, b = out['moose'], out['moosepy']
    assert len(a['names']) == 173 and list(a['names']) == list(b['names'])
    va, vb = a['vm'], b['vm']
    assert va.shape == vb.shape
    assert va.max() - va.min() > 5e-3
    assert np.max(np.abs(va - vb)) <= 1e-8 * (va.max() - va.min())


# --------------------------------------------------------------- formulas
_CELL = '''<?xml version="1.0" encoding="UTF-8"?>
<neuroml xmlns="http://morphml.org/neuroml/schema" xmlns:meta="http://morphml.org/metadata/schema"
 xmlns:mml="http://morphml.org/morphml/schema" xmlns:bio="http://morphml.org/biophysics/schema"
 lengthUnits="{lu}">
<cells><cell name="c">
<mml:segments>
 <mml:segment id="0" name="soma" cable="0">
  <mml:proximal x="0" y="0" z="0" diameter="{d0}"/>
  <mml:distal x="0" y="0" z="0" diameter="{d0}"/>
 </mml:segment>
 <mml:segment id="1" name="dend" parent="{p1}" cable="1">
  <mml:proximal x="0" y="0" z="0" diameter="{d1}"/>
  <mml:distal x="{x1}" y="0" z="0" diameter="{d2}"/>
 </mml:segment>
 <mml:segment id="2" name="dend" parent="1" cable="1">
  <mml:distal x="{x2}" y="0" z="0" diameter="{d2}"/>
 </mml:segment>
</mml:segments>
<mml:cables>
 <mml:cable id="0" name="soma"><meta:group>soma_group</meta:group></mml:cable>
 <mml:cable id="1" name="dend"><meta:group>dend_group</meta:group></mml:cable>
</mml:cables>
<biophysics units="{units}">
 <bio:mechanism name="pas" type="Channel Mechanism" passive_conductance="true">
  <bio:parameter name="gmax" value="{g}"><bio:group>all</bio:group></bio:parameter>
  <bio:parameter name="e" value="{e}"><bio:group>all</bio:group></bio:parameter>
 </bio:mechanism>
 <bio:spec_capacitance><bio:parameter value="{cm}"><bio:group>all</bio:group></bio:parameter></bio:spec_capacitance>
 <bio:spec_axial_resistance><bio:parameter value="{ra}"><bio:group>dend_group</bio:group></bio:parameter></bio:spec_axial_resistance>
 <bio:init_memb_potential><bio:parameter value="{v0}"><bio:group>all</bio:group></bio:parameter></bio:init_memb_potential>
</biophysics>
</cell></cells></neuroml>
'''

_PHYS = dict(lu='micron', d0='10', d1='2', d2='2', x1='50', x2='80', p1='0',
             units='Physiological Units', g='0.05', e='-70', cm='1.0', ra='0.2', v0='-65')
_SI_EQ = dict(_PHYS, lu='meter', d0='10e-6', d1='2e-6', d2='2e-6', x1='50e-6', x2='80e-6',
              units='SI Units', g='0.5', e='-0.07', cm='0.01', ra='2.0', v0='-0.065')


def _write(tmp_path, name='cell.xml', **kw):
    f = tmp_path / name
    f.write_text(_CELL.format(**dict(_PHYS, **kw)))
    return f


def test_one_cell_by_formula(tmp_path):
    """Rm = 1/(gmax·π d L), Cm = CM·π d L, Ra = RA·L/(π d²/4); a zero-length
    soma gets L = d; segments of one cable joined with combineSegments
    (diameter the mean of the diameters given, length end to end)."""
    cells, msg = NeuroML().readNeuroMLFromFile(str(_write(tmp_path)))
    assert msg == 'no populations (L3 NetworkML) found.'
    seg, cab = cells['c']
    assert sorted(seg) == ['0', '1', '2'] and cab == {'soma_group': ['soma_0'],
                                                      'dend_group': ['dend_1', 'dend_2']}
    soma = moose.element('/library/c/soma_0')
    d = 10e-6
    area = math.pi * d * d
    assert soma.length == pytest.approx(d, rel=1e-15)
    assert soma.Rm == pytest.approx(1 / (0.05 * 10 * area), rel=1e-12)   # mS/cm² -> S/m²
    assert soma.Cm == pytest.approx(0.01 * area, rel=1e-12)
    assert soma.Ra == 1.0          # spec_axial_resistance only for dend_group
    assert soma.Em == pytest.approx(-0.07) and soma.initVm == pytest.approx(-0.065)
    d1 = moose.element('/library/c/dend_1')
    assert d1.length == pytest.approx(50e-6, rel=1e-12)
    assert d1.Ra == pytest.approx(0.2 * 10 * 50e-6 / (math.pi * 1e-12), rel=1e-12)
    assert [e.name for e in d1.neighbors['raxial']] == ['soma_0']
    assert moose.element('/library/c/dend_2').x0 == pytest.approx(50e-6)  # parent's end
    assert moose.element('/library/c/dend_1/cable_groups').value == 'dend_group'
    moose.delete('/library')
    cells, _ = NeuroML().readNeuroMLFromFile(str(_write(tmp_path, d2='4')),
                                             params={'combineSegments': True})
    assert sorted(cells['c'][0]) == ['0', '1']
    dend = moose.element('/library/c/dend_1')
    assert dend.diameter == pytest.approx((2e-6 + 4e-6 + 4e-6) / 3, rel=1e-15)
    assert dend.length == pytest.approx(80e-6, rel=1e-12)
    assert not moose.exists('/library/c/dend_2')


def test_physiological_and_si_units_agree(tmp_path):
    NeuroML().readNeuroMLFromFile(str(_write(tmp_path)))
    a = {c.name: [c.Rm, c.Ra, c.Cm, c.Em, c.initVm, c.length, c.diameter, c.x]
         for c in moose.wildcardFind('/library/c/#[ISA=Compartment]')}
    moose.delete('/library')
    f = tmp_path / 'si.xml'
    f.write_text(_CELL.format(**_SI_EQ))
    NeuroML().readNeuroMLFromFile(str(f))
    b = {c.name: [c.Rm, c.Ra, c.Cm, c.Em, c.initVm, c.length, c.diameter, c.x]
         for c in moose.wildcardFind('/library/c/#[ISA=Compartment]')}
    assert sorted(a) == sorted(b) == ['dend_1', 'dend_2', 'soma_0']
    for k in a:
        assert np.allclose(a[k], b[k], rtol=1e-12, atol=0), k


def test_morphml_class_and_module_paths(tmp_path):
    from moosepy.neuroml.MorphML import MorphML
    from moosepy.neuroml.NeuroML import NeuroML as N2
    assert N2 is NeuroML
    cells = MorphML({'temperature': 32.0, 'model_dir': str(tmp_path)}).readMorphMLFromFile(
        str(_write(tmp_path)))
    assert sorted(cells) == ['c'] and moose.element('/library/c').className == 'Neuron'


def test_loadmodel_refuses_neuroml1(tmp_path):
    with pytest.raises(ModelImportError, match='NeuroML 1.x.*moose.neuroml.NeuroML'):
        moose.loadModel(str(_write(tmp_path)), '/model')


# ------------------------------------------------------------------ errors
def _bad(tmp_path, text, match):
    f = tmp_path / 'bad.xml'
    f.write_text(text)
    with pytest.raises(ModelImportError, match=match):
        NeuroML().readNeuroMLFromFile(str(f))
    assert not moose.exists('/library/c')          # nothing half-built


def _cell_text(**kw):
    return _CELL.format(**dict(_PHYS, **kw))


def test_missing_parent(tmp_path):
    _bad(tmp_path, _cell_text(p1='7'), r'bad.xml, line 11: segment .1. names parent '
                                         r'segment .7., which is not in the file')


def test_parent_after_child_and_cycle(tmp_path):
    _bad(tmp_path, _cell_text(p1='2'), r'line 11: segment .1. is its own ancestor')
    text = _cell_text().replace('parent="0" cable="1"', 'parent="2" cable="1"').replace(
        '<mml:segment id="2" name="dend" parent="1"', '<mml:segment id="2" name="dend"')
    text = text.replace('<mml:distal x="80" y="0" z="0" diameter="2"/>',
                        '<mml:proximal x="0" y="0" z="0" diameter="2"/>'
                        '<mml:distal x="80" y="0" z="0" diameter="2"/>')
    _bad(tmp_path, text, r'line 11: segment .1. names parent .2., defined later at line 15')


def test_negative_diameter_and_bad_numbers(tmp_path):
    _bad(tmp_path, _cell_text(d1='-2'), r'line 12: diameter=.-2. is negative')
    _bad(tmp_path, _cell_text(x1='fifty'), r"line 13: x='fifty' is not a number")
    _bad(tmp_path, _cell_text(d0='0'), r'line 7: compartment .soma_0. has diameter 0')


def test_unknown_units(tmp_path):
    _bad(tmp_path, _cell_text(lu='furlong'), r"line 2: unknown lengthUnits 'furlong'")
    _bad(tmp_path, _cell_text(units='Imperial Units'),
         r"line 23: unknown biophysics units 'Imperial Units'")


def test_unknown_group_and_variable_parameter(tmp_path):
    _bad(tmp_path, _cell_text().replace('<bio:group>dend_group</bio:group>',
                                        '<bio:group>apical</bio:group>'),
         r"line 29: unknown cable group 'apical'")
    vp = ('<bio:mechanism name="kap" type="Channel Mechanism"><bio:variable_parameter '
          'name="gmax"><bio:group>all</bio:group><bio:inhomogeneous_value param_name="p" '
          'value="p"/></bio:variable_parameter></bio:mechanism>')
    _bad(tmp_path, _cell_text().replace('<bio:spec_capacitance>', vp + '\n<bio:spec_capacitance>'),
         r'line 28: variable_parameter .* not supported')


def test_missing_mechanism_file(tmp_path):
    mech = ('<bio:mechanism name="kxyz" type="Channel Mechanism"><bio:parameter name="gmax" '
            'value="1"><bio:group>all</bio:group></bio:parameter></bio:mechanism>')
    _bad(tmp_path, _cell_text().replace('<bio:spec_capacitance>', mech + '\n<bio:spec_capacitance>'),
         r'line 28: mechanism .kxyz.: no /library/kxyz and no file kxyz.xml')


def test_entities_and_malformed_xml_refused(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE neuroml [<!ENTITY a "aaaaaaaaaa">]>\n'
            '<neuroml xmlns="http://morphml.org/neuroml/schema">&a;</neuroml>\n')
    _bad(tmp_path, bomb, r'line 2: <!DOCTYPE> declares the entity')
    _bad(tmp_path, _cell_text().replace('</mml:segments>', ''), r'not well-formed XML')


def test_networkml_refused(tmp_path):
    text = _cell_text().replace('</neuroml>', '<populations xmlns="http://morphml.org/'
                                'neuroml/schema"/></neuroml>')
    _bad(tmp_path, text, r'NetworkML populations')


def test_no_segments_and_no_cell(tmp_path):
    _bad(tmp_path, '<neuroml xmlns="http://morphml.org/neuroml/schema"><cells><cell name="c">'
         '</cell></cells></neuroml>', r"line 1: cell 'c' has no segments")
    f = tmp_path / 'x.xml'
    f.write_text('<neuroml xmlns="http://morphml.org/neuroml/schema"/>')
    cells, _ = NeuroML().readNeuroMLFromFile(str(f))
    assert cells == {}


def test_temperature_from_meta_property(tmp_path):
    prop = ('<meta:properties><meta:property tag="temperature" value="{}"/></meta:properties>'
            '\n<cells>')
    f = tmp_path / 't.xml'
    f.write_text(_cell_text().replace('<cells>', prop.format('6.3'), 1))
    nm = NeuroML()
    nm.readNeuroMLFromFile(str(f))
    assert nm.temperature == 6.3
    moose.delete('/library')
    _bad(tmp_path, _cell_text().replace('<cells>', prop.format('warm'), 1),
         r"line 5: temperature 'warm' is not a number")


_SYN_CONN = '''</biophysics>
<connectivity>
 <net:potential_syn_loc xmlns:net="http://morphml.org/networkml/schema" synapse_type="Glu"
  synapse_direction="preAndOrPost"><net:group>dend_group</net:group></net:potential_syn_loc>
</connectivity>'''

_SYN_GLU = '''<channelml xmlns="http://morphml.org/channelml/schema" units="SI Units">
 <synapse_type name="Glu"><doub_exp_syn max_conductance="1.0E-9" rise_time="2e-3"
  decay_time="4e-3" reversal_potential="0.0"/></synapse_type></channelml>
'''


def _syn_cell(tmp_path):
    f = tmp_path / 'cell.xml'
    f.write_text(_cell_text().replace('</biophysics>', _SYN_CONN))
    (tmp_path / 'Glu.xml').write_text(_SYN_GLU)
    return f


def test_potential_synapse_locations_as_pymoose(tmp_path):
    """segDict lists the potential synapses per segment (pymoose 5.0.0;
    with createPotentialSynapses=True pymoose 5.0.0 crashes: its
    moose.utils lacks get_child_Mstring)."""
    f = _syn_cell(tmp_path)
    script = _HEAD + r'''
cd, _ = NeuroML().readNeuroMLFromFile(FILE)
seg = cd['c'][0]
print('JSON' + json.dumps({k: v[5] for k, v in seg.items()}))
'''
    out = run_both(_script(script, FILE=repr(str(f))), timeout=300)
    for who in ('moose', 'moosepy'):
        assert {k: list(v) for k, v in out[who].items()} == {'0': [], '1': ['Glu'],
                                                              '2': ['Glu']}, who


def test_potential_synapses_created(tmp_path):
    f = _syn_cell(tmp_path)
    NeuroML().readNeuroMLFromFile(str(f), params={'createPotentialSynapses': True})
    syns = moose.wildcardFind('/library/c/##[ISA=SynChan]')
    assert sorted(s.parent.name for s in syns) == ['dend_1', 'dend_2']
    for s in syns:
        s = moose.element(s)
        assert (s.Gbar, s.tau1, s.tau2, s.Ek) == (1e-9, 2e-3, 4e-3, 0.0)
        assert [e.name for e in s.neighbors['activation']] == ['handler']   # once
        assert [e.name for e in s.neighbors['channel']] == [s.parent.name]


@need_files
def test_calcium_pool_fed_by_calcium_channel(tmp_path):
    """An 'Ion Concentration' mechanism without parameters is copied into
    every compartment; B = 1/(2F·π d L·thick) from the shell; the channels
    whose ChannelML says ion="ca" send IkOut to it (what MOOSE's
    connect_CaConc did; pymoose 5.0.0 lacks that function)."""
    for n in ('Ca', 'Ca_conc'):
        shutil.copy(CHANS / f'{n}.xml', tmp_path / f'{n}.xml')
    mech = ('<bio:mechanism name="Ca" type="Channel Mechanism"><bio:parameter name="gmax" '
            'value="0.5"><bio:group>all</bio:group></bio:parameter></bio:mechanism>\n'
            '<bio:mechanism name="Ca_conc" type="Ion Concentration"><bio:group>all'
            '</bio:group></bio:mechanism>\n<bio:spec_capacitance>')
    f = tmp_path / 'cell.xml'
    f.write_text(_cell_text().replace('<bio:spec_capacitance>', mech))
    NeuroML().readNeuroMLFromFile(str(f))
    F = 96485.3329
    for name in ('soma_0', 'dend_1', 'dend_2'):
        c = moose.element(f'/library/c/{name}')
        cc = moose.element(c.path + '/Ca_conc')
        ch = moose.element(c.path + '/Ca')
        assert cc.thick > 0
        assert cc.B == pytest.approx(1 / (2 * F * math.pi * c.diameter * c.length * cc.thick),
                                     rel=1e-12)
        assert ch.Gbar == pytest.approx(0.5 * 10 * math.pi * c.diameter * c.length, rel=1e-12)
        assert [e.path for e in ch.neighbors['IkOut']] == [cc.path]


def _inline_channel_cell(tmp_path):
    blocks = []
    for n in ('kdr', 'na3'):
        t = (CHANS / f'{n}.xml').read_text()
        b = re.search(r'<channel_type .*?</channel_type>', t, re.S).group(0)
        blocks.append(b.replace('<channel_type ', '<channel_type xmlns='
                                '"http://morphml.org/channelml/schema" ', 1))
    chans = ('<channels units="Physiological Units">\n' + '\n'.join(blocks) +
             '\n</channels>\n<cells>')
    mech = ''.join(f'<bio:mechanism name="{n}" type="Channel Mechanism"><bio:parameter '
                   f'name="gmax" value="{g}"><bio:group>all</bio:group></bio:parameter>'
                   '</bio:mechanism>\n' for n, g in (('kdr', 10.0), ('na3', 25.0)))
    f = tmp_path / 'inline.xml'
    f.write_text(_cell_text().replace('<cells>', chans, 1)
                 .replace('<bio:spec_capacitance>', mech + '<bio:spec_capacitance>'))
    return f


@need_files
def test_inline_channelml_as_pymoose(tmp_path):
    """ChannelML inside the NeuroML file (<channels units=...>) goes to
    /library as MOOSE's ChannelML.readChannelML does; the cell's mechanisms
    use it without any <name>.xml file."""
    f = _inline_channel_cell(tmp_path)
    script = _HEAD + r'''
NeuroML().readNeuroMLFromFile(FILE)
out = {}
for n in ('kdr', 'na3'):
    ch = moose.element('/library/' + n)
    out[n] = [ch.Gbar, ch.Ek, ch.Xpower, ch.Ypower]
    for g in ('X', 'Y'):
        if getattr(ch, g + 'power') > 0:
            gate = moose.element(ch.path + '/gate' + g)
            out[n + g] = [gate.min, gate.max, gate.divs] + list(gate.tableA) + list(gate.tableB)
for c in ('soma_0', 'dend_1'):
    for n in ('kdr', 'na3'):
        ch = moose.element('/library/c/%s/%s' % (c, n))
        out[c + n] = [ch.Gbar, ch.Ek]
print('JSON' + json.dumps(out))
'''
    out = run_both(_script(script, FILE=repr(str(f))), timeout=300)
    a, b = out['moose'], out['moosepy']
    assert sorted(a) == sorted(b) and 'na3Y' in a
    for k in a:
        assert _close(a[k], b[k], rtol=1e-12), k
