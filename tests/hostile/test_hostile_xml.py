"""Issue 15, item 1: every XML model file is bounded before it is parsed.

A streaming expat pass (moosepy.core.limits.check_xml) refuses, before
libsbml sees the file, nesting beyond ``moosepy.limits`` (libsbml segfaults
on MathML nested 5000-8000 deep and its consistency check takes time
quadratic in the depth), entity declarations (billion laughs, external
entities), external DTDs, oversized files, lines and element counts.  The
refusal is one ModelImportError naming the file, the line, the bound and
how to raise it.  Loads that could crash libsbml run in a subprocess.
"""

import shutil
from pathlib import Path

import pytest

import moosepy as moose
from moosepy.core.limits import check_xml, check_text, Limits

from hostile_files import (TIME_LIMIT, sbml_rule, nested_abs, flat_plus, load_in_child,
                           sbml_value_in_child, SBML_HEAD)

SUITE = Path(__file__).resolve().parents[3] / 'shared' / 'sbml-test-suite' / 'semantic'


def _assert_bound_error(res, path, bound, line=True):
    assert not res.get('crashed'), f'the process died: {res}'
    assert not res['ok'], 'the hostile file loaded'
    assert res['cls'] == 'ModelImportError', res
    msg = res['msg']
    assert str(path) in msg
    if line:
        assert ', line ' in msg, msg
    assert f'bound {bound} = ' in msg and f'moosepy.limits.{bound} = N' in msg, msg
    assert res['elapsed'] < TIME_LIMIT, res['elapsed']


def test_mathml_100000_deep_is_refused_before_libsbml(tmp_path):
    f = tmp_path / 'deep_math.xml'
    f.write_text(sbml_rule(nested_abs(100_000)))
    res = load_in_child(f, 'readSBML')
    _assert_bound_error(res, f, 'max_math_depth')
    assert 'line 8' in res['msg']            # the <math> line of the file
    print(f"100000-deep MathML: refused in {res['elapsed']:.3f} s")


def test_annotation_100000_deep_is_refused(tmp_path):
    ann = ('<annotation><x:a xmlns:x="http://example.org/x">' + '<x:a>' * 100_000 +
           '</x:a>' * 100_000 + '</x:a></annotation>')
    f = tmp_path / 'deep_ann.xml'
    f.write_text(sbml_rule('<ci>k</ci>', extra=ann))
    res = load_in_child(f, 'loadModel')
    _assert_bound_error(res, f, 'max_depth')
    print(f"100000-deep annotation: refused in {res['elapsed']:.3f} s")


def test_flat_list_of_a_million_terms_is_refused(tmp_path):
    f = tmp_path / 'flat.xml'
    f.write_text(sbml_rule(flat_plus(1_000_000)))
    res = load_in_child(f, 'readSBML')
    _assert_bound_error(res, f, 'max_math_nodes')
    print(f"10^6-term <plus>: refused in {res['elapsed']:.3f} s")


BILLION_LAUGHS = '''<?xml version="1.0"?>
<!DOCTYPE sbml [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
''' + SBML_HEAD.split('\n', 1)[1].replace('id="m"', 'id="m" name="&i;"') + \
    '</model></sbml>\n'


@pytest.mark.parametrize('name, text, words', [
    ('laughs', BILLION_LAUGHS, ["declares the entity 'a'", 'line 3']),
    ('xxe', '<?xml version="1.0"?>\n<!DOCTYPE sbml [\n<!ENTITY x SYSTEM '
     '"file:///etc/passwd">\n]>\n' + SBML_HEAD.split('\n', 1)[1].replace(
         'id="m"', 'id="m" name="&x;"') + '</model></sbml>\n',
     ["external entity 'x'", 'line 3']),
    ('dtd', '<?xml version="1.0"?>\n<!DOCTYPE sbml SYSTEM "http://example.org/sbml.dtd">\n' +
     SBML_HEAD.split('\n', 1)[1] + '</model></sbml>\n', ['external DTD', 'line 2']),
])
def test_entity_declarations_and_external_references_are_refused(tmp_path, name, text,
                                                                  words):
    f = tmp_path / f'{name}.xml'
    f.write_text(text)
    res = load_in_child(f, 'readSBML')
    assert not res.get('crashed'), res
    assert not res['ok'] and res['cls'] == 'ModelImportError', res
    assert str(f) in res['msg']
    for w in words:
        assert w in res['msg'], res['msg']
    assert 'root:' not in res['msg']          # nothing of /etc/passwd read
    assert res['elapsed'] < TIME_LIMIT, res['elapsed']


def test_a_raised_bound_lets_a_trusted_deep_file_load(tmp_path):
    """The hint in the message works: raising max_math_depth loads a
    300-deep abs(...abs(k)...), and p = k = 2 (the analytic value)."""
    f = tmp_path / 'deep300.xml'
    f.write_text(sbml_rule(nested_abs(300)))
    res = load_in_child(f, 'readSBML')
    _assert_bound_error(res, f, 'max_math_depth')
    res = sbml_value_in_child(f, setup='moose.limits.max_math_depth = 400')
    assert res.get('ok'), res
    assert res['p'] == 2.0
    assert res['elapsed'] < TIME_LIMIT


@pytest.mark.parametrize('bound, value, text', [
    ('max_bytes', 100, 'file size'),
    ('max_line_length', 40, 'a line longer than 40 characters'),
    ('max_elements', 10, 'more than 10 elements'),
    ('max_depth', 3, 'elements nested 4 deep'),
    ('max_math_depth', 1, 'MathML nested 2 deep'),
    ('max_math_nodes', 2, 'more than 2 MathML elements'),
])
def test_each_bound_names_file_line_bound_and_remedy(tmp_path, bound, value, text):
    f = tmp_path / 'small.xml'
    f.write_text(sbml_rule('<apply><times/><ci>k</ci><apply><abs/><ci>k</ci></apply>'
                           '</apply>'))
    check_xml(f)                                  # within the default bounds
    with moose.limits.override(**{bound: value}):
        with pytest.raises(moose.ModelImportError) as ei:
            check_xml(f)
    msg = str(ei.value)
    assert str(f) in msg and text in msg, msg
    assert f'exceeds the bound {bound} = {value} (moosepy.limits.{bound})' in msg
    assert f'moosepy.limits.override({bound}=N)' in msg
    if bound != 'max_bytes':
        assert ', line ' in msg
    assert getattr(moose.limits, bound) == getattr(Limits(), bound)     # restored


def test_override_rejects_unknown_bounds_and_restores_on_error():
    with pytest.raises(moose.ModelImportError, match="no bound 'max_dept'.*max_depth"):
        moose.limits.override(max_dept=3)
    with pytest.raises(RuntimeError):
        with moose.limits.override(max_depth=7):
            assert moose.limits.max_depth == 7
            raise RuntimeError
    assert moose.limits.max_depth == Limits().max_depth


def test_not_well_formed_xml_names_line_and_column(tmp_path):
    f = tmp_path / 'broken.xml'
    f.write_text(SBML_HEAD + '<listOfRules>\n</model></sbml>\n')
    with pytest.raises(moose.ModelImportError, match=r'broken\.xml, line 9: not well-formed '
                       r'XML \(column 3: mismatched tag\)'):
        moose.readSBML(str(f), '/m')
    assert not moose.exists('/m')


def test_empty_and_directory_paths(tmp_path):
    f = tmp_path / 'empty.xml'
    f.write_text('')
    with pytest.raises(moose.ModelImportError, match='empty.xml, line 1: not well-formed'):
        check_xml(f)
    with pytest.raises(moose.ModelImportError, match='is a directory'):
        check_text(tmp_path)


@pytest.mark.skipif(not (SUITE / '01167').is_dir(), reason='SBML Test Suite absent')
def test_comp_external_model_must_be_local_and_is_bounded(tmp_path):
    src = SUITE / '01167'
    main = (src / '01167-sbml-l3v2.xml').read_text()
    assert 'source="enzyme_identical-l3v2.xml"' in main
    # a URL: refused before libsbml is asked to resolve it
    f = tmp_path / 'url.xml'
    f.write_text(main.replace('source="enzyme_identical-l3v2.xml"',
                              'source="http://example.org/enzyme.xml"'))
    with pytest.raises(moose.ModelImportError, match="'http://example.org/enzyme.xml', "
                       "which is not a local file"):
        moose.readSBML(str(f), '/m')
    # a local external file nested too deep: refused, naming that file
    shutil.copy(src / '01167-sbml-l3v2.xml', tmp_path / 'main.xml')
    ext = (src / 'enzyme_identical-l3v2.xml').read_text()
    deep = ('<annotation><x:a xmlns:x="http://example.org/x">' + '<x:a>' * 20_000 +
            '</x:a>' * 20_000 + '</x:a></annotation>')
    k = ext.index("<model")
    k = ext.index('>', k) + 1
    (tmp_path / 'enzyme_identical-l3v2.xml').write_text(ext[:k] + deep + ext[k:])
    res = load_in_child(tmp_path / 'main.xml', 'readSBML')
    assert not res.get('crashed'), res
    assert res['cls'] == 'ModelImportError', res
    assert 'enzyme_identical-l3v2.xml, line' in res['msg'] and 'max_depth' in res['msg']


@pytest.mark.skipif(not SUITE.is_dir(), reason='SBML Test Suite absent')
def test_no_sbml_test_suite_file_is_refused():
    files = sorted(SUITE.glob('*/*.xml'))
    assert len(files) > 1500
    for f in files:
        check_xml(f)


def test_channelml_is_bounded_before_parsed(tmp_path):
    """The ChannelML reader (rdesigner chanProto files) gets the same pass:
    entity declarations and deep nesting are refused with file and line."""
    from moosepy.rdesigner.channelml import read_channelml
    f = tmp_path / 'laughs.xml'
    f.write_text(BILLION_LAUGHS)
    with pytest.raises(moose.ModelImportError, match=r"laughs\.xml, line 3: <!DOCTYPE> "
                       r"declares the entity 'a'"):
        read_channelml(f)
    g = tmp_path / 'deep.xml'
    g.write_text('<channelml xmlns="http://morphml.org/channelml/schema">' +
                 '<a>' * 100_000 + '</a>' * 100_000 + '</channelml>')
    with pytest.raises(moose.ModelImportError, match=r'deep\.xml, line 1: elements nested '
                       r'513 deep exceeds the bound max_depth = 512'):
        read_channelml(g)
