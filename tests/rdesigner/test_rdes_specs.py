"""rdesigner specs: list entries normalised into typed specs, and bad
entries rejected before anything is built, with errors that name the list,
the entry, the field and the value."""

import pytest

import moosepy as moose
import moosepy.rdesigner as rd
from moosepy.rdesigner import specs as S


def test_lists_become_typed_specs():
    d = S.normalise('chanDistrib', [['Na', 'soma', 'Gbar', '1200', 'Ek', 0.05]])[0]
    assert isinstance(d, S.ChanDistrib)
    assert d.proto == 'Na' and d.path == 'soma'
    assert [f for f, _ in d.fields] == ['Gbar', 'Ek']
    assert d.fields[1][1].scalar() == 0.05          # a number where MOOSE wanted a string
    p = S.normalise('passiveDistrib', [['.', '#', 'RM', '2', 'CM', 0.02]])[0]   # legacy '.'
    assert p.path == '#' and [f for f, _ in p.fields] == ['RM', 'CM']
    c = S.normalise('cellProto', [['ballAndStick', 'c']])[0]        # MOOSE: IndexError
    assert c.kind == 'ballAndStick' and c.params['numDendSeg'] == 1
    assert c.params['dendLen'] == 200e-6
    s = S.normalise('spineDistrib', [['spine', '#dend#', '3e-6']])[0]
    assert s.minSpacing.text == '1e-6' and s.angleDistrib.text == '6.2831853'
    k = S.normalise('spineDistrib', [['spine', '#', 'spacing', '2e-6', 'size', '2']])[0]
    assert k.spacing.text == '2e-6' and k.size.text == '2' and k.sizeDistrib.text == '0'
    ch = S.normalise('chemDistrib', [['DEND', '#', 'dend', '1', 1e-6]])[0]
    assert ch.meshType == 'dend' and ch.voxelLength == 1e-6
    st = S.normalise('stimList', [['soma', 0.5, 'glu', 'periodicsyn', 50]])[0]
    assert isinstance(st, rd.rstim) and st.weight == 0.5 and st.texpr.scalar(t=1) == 50
    pl = S.normalise('plotList', [rd.rplot(field='Ca', relpath='Ca_conc')])[0]
    assert pl.field == 'Ca'
    assert S.spec_to_list(d) == ['Na', 'soma', 'Gbar', '1200', 'Ek', '0.05']


@pytest.mark.parametrize('kw, words', [
    (dict(chanProto=[['make_HH_Naa()', 'Na']]),
     ["chanProto[0] source", "'make_HH_Naa()'", "did you mean 'make_HH_Na'"]),
    (dict(cellProto=[['./no_such_cell.swc', 'c']]), ['cellProto[0] source', 'no such file']),
    (dict(cellProto=[['ballAndStik', 'c']]), ['cellProto[0]', "did you mean 'ballAndStick'"]),
    (dict(cellProto=[['ballAndStick', 'c', 'wide']]), ['cellProto[0] somaDia', 'expected a number']),
    (dict(cellProto=[['ballAndStick', 'c', 1e-5, 1e-5, 2e-6, 1e-4, 0]]),
     ['numDendSeg', 'integer >= 1']),
    (dict(passiveDistrib=[['#', 'CMM', '2']]), ["passiveDistrib[0] field", "did you mean 'CM'"]),
    (dict(passiveDistrib=[['#', 'RM']]), ['passiveDistrib[0]', 'expected at least 3 entries']),
    (dict(chanDistrib=[['Na', 'soma', 'Gbar', '1e3 * q']]),
     ["chanDistrib[0] 'Gbar' expression", "unknown variable 'q'"]),
    (dict(chanDistrib=[['Na', 'soma', 'Gbar', '(p + 1']]), ['chanDistrib[0]', "expected ')'"]),
    (dict(chanDistrib=[['Na', 'soma', 'Gbar', 'sqr(p)']]), ["unknown function 'sqr'", "'sqrt'"]),
    (dict(chanDistrib=[['Na', 'soma', 'Gbar', ['1']]]), ['expected an expression']),
    (dict(stimList=[['soma', '1', '.', 'injekt', '1e-9']]),
     ["stimList[0] field", "did you mean 'inject'"]),
    (dict(stimList=[['soma', '1', '.', 'inject', '1e-9 * (p > 1)']]),
     ["stimList[0] expr", "unknown variable 'p'"]),
    (dict(plotList=[['soma', '1', '.', 'Vn']]), ["plotList[0] field", "did you mean 'Vm'"]),
    (dict(plotList=[['soma', '1', '.', 'Vm', 't', 'time', 0, 0, 'out.png']]),
     ['saveFile', "'.csv' or '.xml'"]),
    (dict(chemDistrib=[['osc', 'soma', 'dendd', '1', 1e-6]]),
     ["chemDistrib[0] meshType", "did you mean 'dend'"]),
    (dict(adaptorList=[['Ca_conc', 'Ca', 'dend/Ca', 'conc', 0]]), ['adaptorList[0]', 'expected 6 entries']),
])
def test_bad_entries_are_named(kw, words):
    with pytest.raises(moose.MooseError) as exc:
        rd.rdesigneur(**kw)
    msg = str(exc.value)
    for w in words:
        assert w in msg, (w, msg)
    # nothing was left behind in the library
    assert not moose.exists('/library/Na') and not moose.exists('/library/c')


@pytest.mark.parametrize('kw, words', [
    (dict(chanProto=[['make_HH_Na()', 'Na']], chanDistrib=[['NA', 'soma', 'Gbar', '1']]),
     ['chanDistrib[0] proto', "'NA'", "did you mean 'Na'"]),         # MOOSE: segfault
    (dict(chanProto=[['make_HH_Na()', 'Na']], chanDistrib=[['Na', 'dend#', 'Gbar', '1']]),
     ["chanDistrib[0] path", "'dend#'", 'matches no compartment']),
    (dict(chanProto=[['make_HH_Na()', 'Na']], chanDistrib=[['Na', 'soma', 'tau', '1']]),
     ["chanDistrib[0] field", "'tau'", 'valid: Gbar, Ek']),
    (dict(stimList=[['axon', '1', '.', 'inject', '1e-9']]),                # MOOSE: no-op
     ["stimList[0] elecpath", "'axon'", 'matches no compartment']),
    (dict(plotList=[['dend', '1', '.', 'Vm']]), ["plotList[0] elecpath"]),
    (dict(spineDistrib=[['spine', 'soma', '1e-6']]), ["spineDistrib[0] proto", "'spine'"]),
])
def test_model_checks_before_build(kw, words):
    rdes = rd.rdesigneur(**kw)
    with pytest.raises(moose.MooseError) as exc:
        rdes.buildModel()
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))
    assert not moose.exists('/model')      # the tree is untouched


def test_unknown_keyword_and_existing_model():
    with pytest.raises(TypeError):
        rd.rdesigneur(cellProtos=[])
    rdes = rd.rdesigneur()
    rdes.buildModel()
    with pytest.raises(moose.MooseError, match='already exists'):
        rd.rdesigneur().buildModel()


def test_prototype_from_python_function_and_file(tmp_path, monkeypatch):
    def my_chan(name):
        rd.make_HH_K(name)
    mod = tmp_path / 'protos.py'
    mod.write_text('import moosepy.rdesigner as rd\n'
                   'def make_k(name):\n    rd.make_HH_K(name)\n')
    monkeypatch.chdir(tmp_path)
    rdes = rd.rdesigneur(chanProto=[[my_chan, 'K1'], ['protos.make_k()', 'K2']],
                         chanDistrib=[['K1', 'soma', 'Gbar', '10'], ['K2', 'soma', 'Gbar', '20']])
    rdes.buildModel()
    soma = moose.element('/model/elec/soma')
    area = soma.length * soma.diameter * 3.141592653589793
    assert moose.element('/model/elec/soma/K1').Gbar == pytest.approx(10 * area)
    assert moose.element('/model/elec/soma/K2').Gbar == pytest.approx(20 * area)
