"""Physically impossible values refused at load (issue 15, item 4), per
format, naming the file and line (rdesigner specs: the list, the entry,
the field, the value and the compartment):

* NeuroML 1.x MorphML biophysics: specific capacitance / axial resistivity
  <= 0, passive conductance <= 0 (Rm = 1/gmax; 0 was a ZeroDivisionError),
  channel density or Ca shell depth < 0 (were FieldErrors without file).
* ChannelML: gate tables with a time constant <= 0 or NaN or a steady
  state outside [0, 1] (a negative rate), a Q10 factor <= 0, a negative
  synaptic max_conductance (all loaded silently).
* cspace: negative or NaN concentrations and rates, Km <= 0 (refused
  before this work; pinned here per format).
* rdesigner: passive R/C below 0 or NaN, chanDistrib values NaN or below 0
  where installed (MOOSE skipped them silently), a CaConc tau <= 0,
  diffusionLength / temperature / statusDt, a negative radius sdev."""

import math
import re

import numpy as np
import pytest

import moosepy as moose
from moosepy.neuroml import NeuroML
from moosepy.rdesigner.specs import SpecError


@pytest.fixture(autouse=True)
def _clean():
    for p in ('/library', '/model', '/cs'):
        if moose.exists(p):
            moose.delete(p)
    yield
    for p in ('/library', '/model', '/cs'):
        if moose.exists(p):
            moose.delete(p)


def _line(text, needle):
    return text[:text.index(needle)].count('\n') + 1


# ---------------------------------------------------------------- MorphML
CELL = '''<?xml version="1.0" encoding="UTF-8"?>
<neuroml xmlns="http://morphml.org/neuroml/schema" xmlns:meta="http://morphml.org/metadata/schema"
 xmlns:mml="http://morphml.org/morphml/schema" xmlns:bio="http://morphml.org/biophysics/schema"
 lengthUnits="micron">
<cells><cell name="c">
<mml:segments>
 <mml:segment id="0" name="soma" cable="0">
  <mml:proximal x="0" y="0" z="0" diameter="10"/>
  <mml:distal x="20" y="0" z="0" diameter="10"/>
 </mml:segment>
</mml:segments>
<mml:cables><mml:cable id="0" name="soma"><meta:group>soma_group</meta:group></mml:cable></mml:cables>
<biophysics units="Physiological Units">
 <bio:mechanism name="pas" type="Channel Mechanism" passive_conductance="true">
  <bio:parameter name="gmax" value="{pas}"><bio:group>all</bio:group></bio:parameter>
 </bio:mechanism>
 <bio:mechanism name="kc" type="Channel Mechanism">
  <bio:parameter name="gmax" value="{kc}"><bio:group>all</bio:group></bio:parameter>
 </bio:mechanism>
 <bio:mechanism name="ca" type="Ion Concentration">
  <bio:parameter name="depth" value="{depth}"><bio:group>all</bio:group></bio:parameter>
 </bio:mechanism>
 <bio:spec_capacitance><bio:parameter value="{cm}"><bio:group>all</bio:group></bio:parameter></bio:spec_capacitance>
 <bio:spec_axial_resistance><bio:parameter value="{ra}"><bio:group>all</bio:group></bio:parameter></bio:spec_axial_resistance>
</biophysics>
</cell></cells></neuroml>
'''
GOOD = dict(pas='0.05', kc='10', depth='0.1', cm='1.0', ra='0.2')


def _library():
    moose.Neutral('/library')
    moose.HHChannel('/library/kc')
    moose.CaConc('/library/ca')


def test_morphml_good_biophysics_loads(tmp_path):
    f = tmp_path / 'c.xml'
    f.write_text(CELL.format(**GOOD))
    _library()
    NeuroML().readNeuroMLFromFile(str(f))
    soma = moose.element('/library/c/soma_0')
    area = math.pi * 10e-6 * 20e-6
    assert soma.Cm == pytest.approx(0.01 * area, rel=1e-12)
    assert moose.element('/library/c/soma_0/kc').Gbar == pytest.approx(100 * area, rel=1e-12)


@pytest.mark.parametrize('key, value, anchor, words', [
    ('cm', '-1', '<bio:spec_capacitance>', 'specific capacitance must be > 0'),
    ('cm', '0', '<bio:spec_capacitance>', 'specific capacitance must be > 0'),
    ('ra', '-0.2', '<bio:spec_axial_resistance>', 'specific axial resistance must be > 0'),
    ('pas', '0', 'name="gmax" value="{pas}"', r"passive conductance of 'pas' must be > 0"),
    ('pas', '-0.05', 'name="gmax" value="{pas}"', r"passive conductance of 'pas' must be > 0"),
    ('kc', '-10', 'name="gmax" value="{kc}"', r"conductance density of channel 'kc' must be "
                                               '>= 0'),
    ('depth', '-0.1', 'name="depth"', r"shell depth of 'ca' must be >= 0"),
])
def test_morphml_impossible_biophysics_refused_with_file_and_line(tmp_path, key, value,
                                                                   anchor, words):
    f = tmp_path / 'bad.xml'
    f.write_text(CELL.format(**dict(GOOD, **{key: value})))
    line = _line(CELL, anchor)
    _library()
    with pytest.raises(moose.ModelImportError,
                       match=rf"bad\.xml, line {line}: .*value='{re.escape(value)}' "
                             rf'\(Physiological Units\); .*{words}'):
        NeuroML().readNeuroMLFromFile(str(f))
    assert not moose.exists('/library/c')


# -------------------------------------------------------------- ChannelML
CHAN = '''<?xml version="1.0" encoding="UTF-8"?>
<channelml xmlns="http://morphml.org/channelml/schema" units="SI Units">
<channel_type name="k">
 <current_voltage_relation cond_law="ohmic" ion="k" default_gmax="100" default_erev="-0.09">
  <q10_settings q10_factor="{q10}" experimental_temp="24"/>
  <gate name="n" instances="1">
   <closed_state id="n0"/><open_state id="n"/>
   <transition name="alpha" from="n0" to="n" expr_form="exponential" rate="{ra}" scale="0.01" midpoint="-0.05"/>
   <transition name="beta" from="n" to="n0" expr_form="exponential" rate="100" scale="-0.02" midpoint="-0.05"/>
   {tau}
  </gate>
 </current_voltage_relation>
</channel_type>
<synapse_type name="syn">
 <doub_exp_syn max_conductance="{gsyn}" rise_time="0.001" decay_time="0.005" reversal_potential="0"/>
</synapse_type>
</channelml>
'''
CGOOD = dict(q10='3', ra='200', tau='', gsyn='1e-9')


def _read(tmp_path, **kw):
    from moosepy.rdesigner.channelml import read_channelml
    f = tmp_path / 'k.xml'
    f.write_text(CHAN.format(**dict(CGOOD, **kw)))
    return read_channelml(str(f), 32.0, '/library')


def test_channelml_good_file_loads_with_alpha_beta_tables(tmp_path):
    _read(tmp_path)
    g = moose.element('/library/k/gateX')
    v = np.linspace(-0.1, 0.1, len(g.tableA))
    q = 3.0 ** ((32 - 24) / 10)
    alpha = 200 * np.exp((v + 0.05) / 0.01)
    beta = 100 * np.exp((v + 0.05) / -0.02)
    assert np.allclose(g.tableA, alpha * q, rtol=1e-9)          # A = inf / tau
    assert np.allclose(g.tableB, (alpha + beta) * q, rtol=1e-9)  # B = 1 / tau


@pytest.mark.parametrize('kw, anchor, words', [
    (dict(ra='-200'), '<gate name="n"', r"gate 'n': at v = -0\.1 V .*steady state -"),
    (dict(tau='<time_course name="tau" from="n0" to="n" expr_form="generic" expr="-0.001"/>'),
     '<gate name="n"', r"gate 'n': at v = -0\.1 V its time constant is -"),
    (dict(tau='<time_course name="tau" from="n0" to="n" expr_form="generic" '
              'expr="0/(v-v)"/>'), '<gate name="n"', r'time constant is nan s'),
    (dict(q10='-2'), '<q10_settings', r"gate 'n': q10_settings .*factor -2\.0 .*must be > 0"),
    (dict(q10='0'), '<q10_settings', r'factor 0\.0 .*must be > 0'),
    (dict(gsyn='-1e-9'), '<doub_exp_syn', r"synapse_type 'syn': max_conductance '-1e-9'; a "
                                          'conductance must be >= 0'),
])
def test_channelml_impossible_values_refused_with_file_and_line(tmp_path, kw, anchor, words):
    line = _line(CHAN, anchor)
    with pytest.raises(moose.ModelImportError, match=rf'k\.xml, line {line}: .*{words}'):
        _read(tmp_path, **kw)
    assert not moose.exists('/library/k') and not moose.exists('/library/syn')


def test_inline_channelml_in_neuroml_names_the_neuroml_file_and_line(tmp_path):
    """ChannelML inside a NeuroML file (<channels>) goes through the same
    gate check; the line is the NeuroML file's."""
    block = re.search(r'<channel_type .*?</channel_type>', CHAN.format(**dict(CGOOD, ra='-200')),
                      re.S).group(0).replace(
        '<channel_type ', '<channel_type xmlns="http://morphml.org/channelml/schema" ', 1)
    text = CELL.format(**GOOD).replace(
        '<cells>', '<channels units="SI Units">\n' + block + '\n</channels>\n<cells>', 1)
    f = tmp_path / 'inline.xml'
    f.write_text(text)
    line = _line(text, '<gate name="n"')
    _library()
    with pytest.raises(moose.ModelImportError,
                       match=rf"inline\.xml, line {line}: channel 'k' gate 'n': at v = -0\.1 V"):
        NeuroML().readNeuroMLFromFile(str(f))


# ------------------------------------------------------------------ cspace
@pytest.mark.parametrize('text, words', [
    ('|AabX| 1 2 -3 4', r'rate parameter 1 of AabX must be >= 0, got -3'),
    ('|AabX| -1 2 3 4', r'initial concentration of pool a must be >= 0, got -1'),
    ('|AabX| nan 2 3 4', r"parameter 1: expected a finite number, got 'nan'"),
    ('|CabX| 1 1 1 0', r'enzyme CabX: kcat must be >= 0 and Km > 0'),
    ('|CabX| 1 1 -1 2', r'rate parameter 1 of CabX must be >= 0'),
])
def test_cspace_impossible_values_refused_with_file_and_line(tmp_path, text, words):
    f = tmp_path / 'm.cspace'
    f.write_text('\n' + text + '\n')           # the model on line 2
    with pytest.raises(moose.ModelImportError, match=rf'm\.cspace:2: {words}'):
        moose.loadModel(str(f), '/cs')
    assert not moose.exists('/cs')


# -------------------------------------------------------------- rdesigner
def _rdes(**kw):
    import moosepy.rdesigner as rd
    base = dict(cellProto=[['ballAndStick', 'cell', 10e-6, 10e-6, 2e-6, 100e-6, 4]],
                chanProto=[['make_HH_Na()', 'Na'], ['make_Ca_conc()', 'Ca_conc']])
    base.update(kw)
    r = rd.rdesigneur(**base)
    r.buildModel()
    return r


def test_rdesigner_good_values_build():
    _rdes(passiveDistrib=[['#', 'RM', '1', 'CM', '0.01', 'Em', '-0.065']],
          chanDistrib=[['Ca_conc', 'soma', 'tau', '0.0133', 'CaBasal', '1e-4'],
                       ['Na', '#', 'Gbar', 'p < 50e-6 ? 400 : -1']])
    soma = moose.element('/model/elec/soma')
    assert soma.Rm == pytest.approx(1 / (soma.length * soma.diameter * math.pi), rel=1e-12)
    # MOOSE's install test: the first chanDistrib expression > 0
    assert moose.exists('/model/elec/soma/Na')
    assert not moose.exists('/model/elec/dend3/Na')


@pytest.mark.parametrize('kw, msg', [
    (dict(passiveDistrib=[['#', 'RM', '-1']]),
     r"passiveDistrib\[0\] 'RM' expression = '-1': expected a finite value >= 0 .*it is -1 on "
     r'/model/elec/\w+ \(5 of 5 compartments\)'),
    (dict(passiveDistrib=[['#', 'CM', '0.01', 'CM', 'p > 20e-6 ? -0.01 : 0.01']]),
     r"passiveDistrib\[0\] 'CM' expression = 'p > 20e-6 \? -0\.01 : 0\.01': .*it is -0\.01 on "
     r'/model/elec/dend'),
    (dict(passiveDistrib=[['soma', 'Em', '0/0']]),
     r"passiveDistrib\[0\] 'Em' expression = '0/0': expected a finite value; it is nan"),
    (dict(passiveDistrib=[['soma', 'RA', 'log(-1)']]),
     r"passiveDistrib\[0\] 'RA' expression = 'log\(-1\)': .*it is nan"),
    (dict(chanDistrib=[['Na', '#', 'Gbar', '0/0']]),
     r"chanDistrib\[0\] 'Gbar' expression = '0/0': expected a finite value; it is nan"),
    (dict(chanDistrib=[['Na', 'soma', 'Ek', '0.05', 'Gbar', '-100']]),
     r"chanDistrib\[0\] 'Gbar' expression = '-100': expected a finite value >= 0 where the "
     r'mechanism is installed; it is -100 on /model/elec/soma'),
    (dict(chanDistrib=[['Ca_conc', 'soma', 'CaBasal', '1e-4', 'tau', '-0.01']]),
     r"chanDistrib\[0\] 'tau' expression = '-0.01': expected a finite value > 0 where"),
    (dict(chanDistrib=[['Ca_conc', 'soma', 'tau', '0.01', 'thick', '-1e-6']]),
     r"chanDistrib\[0\] 'thick' expression = '-1e-6': expected a finite value >= 0 where"),
    (dict(chanDistrib=[['Ca_conc', 'soma', 'tau', '0.01', 'B', '1/0']]),
     r"chanDistrib\[0\] 'B' expression = '1/0': expected a finite value; it is inf"),
    (dict(diffusionLength=-1e-6), r'diffusionLength = -1e-06: expected a number > 0'),
    (dict(diffusionLength=float('nan')), r'diffusionLength = nan: expected a finite number'),
    (dict(temperature=float('nan')), r'temperature = nan: expected a finite number'),
    (dict(statusDt=-1), r'statusDt = -1: expected a number >= 0'),
    (dict(chemProto=[['makeChemOscillator()', 'osc']],
          chemDistrib=[['A', 'soma', 'presyn_dend', '1', '1e-6', '-1e-7', '10e-6']]),
     r"chemDistrib\[0\] radius sdev = '-1e-7': expected a number >= 0"),
])
def test_rdesigner_impossible_values_name_list_entry_field_value(kw, msg):
    with pytest.raises(SpecError, match=msg):
        _rdes(**kw)
    assert not moose.exists('/model')
