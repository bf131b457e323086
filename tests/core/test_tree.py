"""The element tree: creation, lookup, delete/move/copy, navigation, vec,
wildcards, /classes and field errors (MOOSE 5.0.0 behaviour, see
benchmarks/PYMOOSE_NOTES.md section 6)."""

import numpy as np
import pytest

import moosepy as moose


def _mentions_path(msg, plain):
    """True if *msg* names the element, in '/m/a' or '/m[0]/a[0]' form."""
    indexed = '/' + '/'.join(p + '[0]' for p in plain.strip('/').split('/'))
    return plain in msg or indexed in msg


@pytest.fixture
def tree():
    """/m with children in a non-alphabetical creation order."""
    m = moose.Neutral('/m')
    zeta = moose.Pool('/m/zeta')
    alpha = moose.Pool('/m/alpha')
    buf = moose.BufPool('/m/buf')
    sub = moose.Neutral('/m/sub')
    inner = moose.Pool('/m/sub/inner')
    d1 = moose.Neutral('/m/dend1')
    d2 = moose.Neutral('/m/dend2')
    soma = moose.Neutral('/m/soma')
    zeta.concInit = 0.2
    alpha.concInit = 0.7
    buf.concInit = 1.5
    inner.concInit = 0.9
    return dict(m=m, zeta=zeta, alpha=alpha, buf=buf, sub=sub, inner=inner,
                d1=d1, d2=d2, soma=soma)


def _paths(objs):
    return [o.path for o in objs]


# ------------------------------------------------------------ constructors
class TestConstructors:
    def test_neutral_create(self):
        m = moose.Neutral('/m')
        assert m.path == '/m[0]'
        assert m.className == 'Neutral'
        assert moose.exists('/m')

    def test_class_create_and_kwargs(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a', concInit=0.25)
        assert a.className == 'Pool'
        assert isinstance(a, moose.Pool)
        assert a.concInit == pytest.approx(0.25, rel=1e-12)

    def test_wrap_existing_same_class(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a')
        a.concInit = 0.7
        b = moose.Pool('/m/a')
        assert b == a
        assert b.concInit == pytest.approx(0.7, rel=1e-12)
        assert len(moose.element('/m').children) == 1

    def test_wrap_existing_object(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a')
        assert moose.Pool(a) == a
        assert moose.element(a) == a

    @pytest.mark.parametrize('first,second', [
        (moose.Neutral, moose.Pool),
        (moose.Pool, moose.Reac),
        (moose.Pool, moose.BufPool),
        (moose.Table2, moose.Table),
    ])
    def test_same_path_other_class_raises(self, first, second):
        moose.Neutral('/m')
        first('/m/a')
        with pytest.raises(moose.PathError) as ei:
            second('/m/a')
        assert _mentions_path(str(ei.value), '/m/a')
        # the original is untouched
        assert moose.element('/m/a').className == first.__name__

    def test_missing_parent_names_parent(self):
        with pytest.raises(moose.PathError) as ei:
            moose.Pool('/nonexistent_parent/a')
        assert 'nonexistent_parent' in str(ei.value)
        assert not moose.exists('/nonexistent_parent/a')

    def test_missing_deep_parent(self):
        moose.Neutral('/m')
        with pytest.raises(moose.PathError) as ei:
            moose.Pool('/m/nothere/a')
        assert 'nothere' in str(ei.value)

    def test_path_errors_are_moose_errors(self):
        assert issubclass(moose.PathError, moose.MooseError)
        assert issubclass(moose.FieldError, moose.MooseError)
        assert issubclass(moose.MessageError, moose.MooseError)

    def test_n_argument_makes_array(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a', 4)
        assert a.numData == 4
        assert len(moose.vec('/m/a')) == 4


# ------------------------------------------------------------ element/exists
class TestLookup:
    def test_element(self, tree):
        e = moose.element('/m/alpha')
        assert e == tree['alpha']
        assert isinstance(e, moose.Pool)
        assert e.className == 'Pool'

    def test_element_indexed_form(self, tree):
        assert moose.element('/m[0]/sub[0]/inner[0]') == tree['inner']

    def test_element_missing_raises(self, tree):
        with pytest.raises(moose.PathError) as ei:
            moose.element('/nope')
        assert 'nope' in str(ei.value)

    @pytest.mark.parametrize('path', ['/m', '/m/alpha', '/m/alpha[0]', '/m[0]/alpha',
                                      '/m[0]/alpha[0]', '/m/sub/inner', '/m[0]/sub/inner[0]',
                                      '/classes', '/clock'])
    def test_exists_true(self, tree, path):
        assert moose.exists(path)

    @pytest.mark.parametrize('path', ['/nope', '/m/nope', '/m/alpha/x', '/m/alpha[3]'])
    def test_exists_false(self, tree, path):
        assert not moose.exists(path)


# ------------------------------------------------------------ delete
class TestDelete:
    def test_delete_returns_true(self, tree):
        assert moose.delete('/m/zeta') is True
        assert not moose.exists('/m/zeta')

    def test_delete_object(self, tree):
        assert moose.delete(tree['alpha']) is True
        assert not moose.exists('/m/alpha')

    def test_delete_twice_raises(self, tree):
        moose.delete('/m/zeta')
        with pytest.raises(moose.PathError) as ei:
            moose.delete('/m/zeta')
        assert 'zeta' in str(ei.value)

    def test_children_go_too(self, tree):
        moose.delete('/m/sub')
        assert not moose.exists('/m/sub')
        assert not moose.exists('/m/sub/inner')
        assert moose.wildcardFind('/m/##[FIELD(name)=inner]') == []

    def test_deleted_handles_raise(self, tree):
        inner = tree['inner']
        moose.delete('/m/sub')
        with pytest.raises(moose.PathError):
            inner.concInit
        with pytest.raises(moose.PathError):
            inner.concInit = 1.0
        with pytest.raises(moose.PathError):
            moose.element(inner)

    def test_deleted_vec_raises(self, tree):
        v = moose.vec('/m/alpha')
        moose.delete('/m/alpha')
        with pytest.raises(moose.PathError):
            len(v)

    def test_recreate_after_delete(self, tree):
        moose.delete('/m/alpha')
        a = moose.Reac('/m/alpha')  # another class is fine now
        assert a.className == 'Reac'

    def test_delete_removes_messages(self, tree):
        r = moose.Reac('/m/r')
        moose.connect(r, 'sub', tree['alpha'], 'reac')
        assert r.numSubstrates == 1
        n_out = len(r.msgOut)
        moose.delete('/m/alpha')
        assert r.numSubstrates == 0
        assert len(r.msgOut) == n_out - 1


# ------------------------------------------------------------ move / copy
class TestMoveCopy:
    def test_move(self, tree):
        inner = tree['inner']
        moose.move(inner, '/m/soma')
        assert not moose.exists('/m/sub/inner')
        assert moose.exists('/m/soma/inner')
        assert inner.path == '/m[0]/soma[0]/inner[0]'
        assert inner.concInit == pytest.approx(0.9, rel=1e-12)
        assert inner.parent.path == '/m[0]/soma[0]'

    def test_move_subtree(self, tree):
        moose.move('/m/sub', '/m/soma')
        assert moose.exists('/m/soma/sub/inner')

    def test_move_into_own_subtree_raises(self, tree):
        with pytest.raises(moose.MooseError):
            moose.move('/m/sub', '/m/sub/inner')
        assert moose.exists('/m/sub/inner')

    def test_copy_returns_vec(self, tree):
        moose.Neutral('/p')
        v = moose.copy(tree['alpha'], '/p', 'name')
        assert isinstance(v, moose.vec)
        assert len(v) == 1
        assert moose.exists('/p/name')
        assert moose.element('/p/name').concInit == pytest.approx(0.7, rel=1e-12)
        # the original stays
        assert moose.exists('/m/alpha')

    def test_copy_keeps_name(self, tree):
        moose.Neutral('/p')
        moose.copy(tree['alpha'], '/p')
        assert moose.exists('/p/alpha')

    def test_copy_num(self, tree):
        moose.Neutral('/p')
        v = moose.copy(tree['alpha'], '/p', 'name', 5)
        assert len(v) == 5
        assert v.numData == 5
        assert moose.element('/p/name').numData == 5
        assert moose.exists('/p/name[3]')
        assert v[4].path == '/p[0]/name[4]'
        assert v.path == '/p[0]/name[0]'       # as MOOSE 5 reports a copied vec
        ci = moose.vec('/p/name').concInit
        assert isinstance(ci, np.ndarray)
        np.testing.assert_allclose(ci, np.full(5, 0.7), rtol=1e-12)

    def test_copy_values_independent(self, tree):
        moose.Neutral('/p')
        moose.copy(tree['alpha'], '/p', 'c')
        moose.element('/p/c').concInit = 0.1
        assert tree['alpha'].concInit == pytest.approx(0.7, rel=1e-12)

    def test_copy_subtree(self, tree):
        moose.Neutral('/p')
        moose.copy('/m/sub', '/p')
        assert moose.exists('/p/sub/inner')
        assert moose.element('/p/sub/inner').concInit == pytest.approx(0.9, rel=1e-12)

    def test_copy_internal_messages(self):
        moose.Neutral('/k')
        a = moose.Pool('/k/a')
        b = moose.Pool('/k/b')
        r = moose.Reac('/k/r')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'sub', a, 'reac')
        moose.connect(r, 'prd', b, 'reac')
        ext = moose.Pool('/ext')
        moose.connect(r, 'prd', ext, 'reac')
        moose.Neutral('/p')
        moose.copy('/k', '/p')
        r2 = moose.element('/p/k/r')
        assert r2.numSubstrates == 2
        subs = r2.neighbors['sub']
        assert [moose.element(s).path for s in subs] == ['/p[0]/k[0]/a[0]'] * 2
        prds = [moose.element(s).path for s in r2.neighbors['prd']]
        # the message to /ext leaves the subtree: not copied by default
        assert prds == ['/p[0]/k[0]/b[0]']
        # the original is unchanged
        assert r.numSubstrates == 2
        assert r.numProducts == 2

    def test_copy_into_own_subtree_raises(self, tree):
        with pytest.raises(moose.MooseError):
            moose.copy('/m/sub', '/m/sub/inner')
        with pytest.raises(moose.MooseError):
            moose.copy('/m', '/m/sub')
        assert not moose.exists('/m/sub/inner/sub')


# ------------------------------------------------------------ navigation
class TestNavigation:
    def test_le_prints_children(self, tree, capsys):
        moose.le('/m')
        out = capsys.readouterr().out
        lines = out.strip('\n').split('\n')
        assert lines[0] == 'Elements under /m[0]'
        assert [ln.strip() for ln in lines[1:]] == [
            '/m[0]/zeta', '/m[0]/alpha', '/m[0]/buf', '/m[0]/sub', '/m[0]/dend1',
            '/m[0]/dend2', '/m[0]/soma']

    def test_le_default_is_cwe(self, tree, capsys):
        moose.ce('/m/sub')
        capsys.readouterr()
        moose.le()
        out = capsys.readouterr().out
        assert 'Elements under /m[0]/sub[0]' in out
        assert '/m[0]/sub[0]/inner' in out

    def test_ce_relative_creation(self, tree):
        moose.ce('/m')
        rel = moose.Pool('rel')
        assert rel.path == '/m[0]/rel[0]'
        assert moose.exists('/m/rel')
        assert moose.element('alpha') == tree['alpha']

    def test_ce_prints_nothing(self, tree, capsys):
        moose.ce('/m')
        assert capsys.readouterr().out == ''

    def test_pwe(self, tree, capsys):
        moose.ce('/m/sub')
        capsys.readouterr()
        w = moose.pwe()
        assert w.path == '/m[0]/sub[0]'
        assert capsys.readouterr().out == ''   # MOOSE 5: prints nothing
        moose.ce('/')
        assert moose.pwe().path == '/'

    def test_getcwe_setcwe(self, tree):
        moose.setCwe('/m')
        assert moose.getCwe().path == '/m[0]'

    def test_path_forms(self, tree):
        assert tree['inner'].path == '/m[0]/sub[0]/inner[0]'
        assert tree['alpha'].path == '/m[0]/alpha[0]'

    def test_name_parent_children_classname(self, tree):
        inner = tree['inner']
        assert inner.name == 'inner'
        assert inner.className == 'Pool'
        assert inner.parent.path == '/m[0]/sub[0]'
        assert moose.element(inner.parent) == tree['sub']
        names = [c.name for c in tree['m'].children]
        assert names == ['zeta', 'alpha', 'buf', 'sub', 'dend1', 'dend2', 'soma']
        kids = [moose.element(c).className for c in tree['m'].children]
        assert kids[:3] == ['Pool', 'Pool', 'BufPool']

    def test_rename(self, tree):
        tree['alpha'].name = 'beta'
        assert moose.exists('/m/beta')
        assert not moose.exists('/m/alpha')
        assert tree['alpha'].path == '/m[0]/beta[0]'

    def test_isA(self, tree):
        assert tree['buf'].isA['PoolBase']
        assert not tree['buf'].isA['Reac']


# ------------------------------------------------------------ numData and vec
class TestVec:
    def test_numdata_resize(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a')
        a.concInit = 0.5
        assert a.numData == 1
        a.numData = 4
        assert a.numData == 4
        v = moose.vec('/m/a')
        assert len(v) == 4
        assert v.concInit[0] == pytest.approx(0.5, rel=1e-12)
        a.numData = 2
        assert len(moose.vec('/m/a')) == 2
        assert not moose.exists('/m/a[3]')
        assert moose.exists('/m/a[1]')

    def test_len_and_indexing(self):
        moose.Neutral('/m')
        moose.Pool('/m/a', 3)
        v = moose.vec('/m/a')
        assert len(v) == 3
        assert v[2].path == '/m[0]/a[2]'
        assert v[-1].path == '/m[0]/a[2]'
        assert isinstance(v[0], moose.Pool)
        assert [o.path for o in v] == ['/m[0]/a[0]', '/m[0]/a[1]', '/m[0]/a[2]']
        with pytest.raises(moose.MooseError):
            v[3]

    def test_vec_from_object(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a', 3)
        assert moose.vec(a) == moose.vec('/m/a')
        assert a.vec == moose.vec('/m/a')

    def test_vectorised_get_set(self):
        moose.Neutral('/m')
        moose.Pool('/m/a', 4)
        v = moose.vec('/m/a')
        vals = np.array([0.1, 0.2, 0.3, 0.4])
        v.concInit = vals
        got = moose.vec('/m/a').concInit
        assert isinstance(got, np.ndarray)
        assert got.shape == (4,)
        np.testing.assert_allclose(got, vals, rtol=1e-12)
        # entries are individually readable
        assert moose.element('/m/a[2]').concInit == pytest.approx(0.3, rel=1e-12)
        v.concInit = 0.55
        np.testing.assert_allclose(moose.vec('/m/a').concInit, np.full(4, 0.55), rtol=1e-12)

    def test_vectorised_get_single(self):
        moose.Neutral('/m')
        a = moose.Pool('/m/a')
        a.concInit = 0.7
        got = moose.vec('/m/a').concInit
        assert isinstance(got, np.ndarray)
        np.testing.assert_allclose(got, [0.7], rtol=1e-12)

    def test_vectorised_set_wrong_length(self):
        moose.Neutral('/m')
        moose.Pool('/m/a', 3)
        with pytest.raises(moose.FieldError):
            moose.vec('/m/a').concInit = np.array([1.0, 2.0])

    def test_vec_unknown_field(self):
        moose.Neutral('/m')
        moose.Pool('/m/a', 3)
        with pytest.raises(moose.FieldError):
            moose.vec('/m/a').conc_init
        with pytest.raises(moose.FieldError):
            moose.vec('/m/a').conc_init = 1.0


# ------------------------------------------------------------ wildcardFind
class TestWildcard:
    def test_returns_list_of_typed_objects(self, tree):
        res = moose.wildcardFind('/m/#')
        assert isinstance(res, list)
        assert isinstance(res[0], moose.Pool)
        assert isinstance(res[2], moose.BufPool)

    def test_hash_one_level(self, tree):
        assert _paths(moose.wildcardFind('/m/#')) == [
            '/m[0]/zeta[0]', '/m[0]/alpha[0]', '/m[0]/buf[0]', '/m[0]/sub[0]',
            '/m[0]/dend1[0]', '/m[0]/dend2[0]', '/m[0]/soma[0]']

    def test_double_hash_depth_first_excludes_start(self, tree):
        assert _paths(moose.wildcardFind('/m/##')) == [
            '/m[0]/zeta[0]', '/m[0]/alpha[0]', '/m[0]/buf[0]', '/m[0]/sub[0]',
            '/m[0]/sub[0]/inner[0]', '/m[0]/dend1[0]', '/m[0]/dend2[0]', '/m[0]/soma[0]']

    def test_start_plus_children_with_comma(self, tree):
        res = _paths(moose.wildcardFind('/m,/m/#'))
        assert res[0] == '/m[0]'
        assert len(res) == 8

    def test_partial_name(self, tree):
        assert _paths(moose.wildcardFind('/m/dend#')) == ['/m[0]/dend1[0]', '/m[0]/dend2[0]']
        assert _paths(moose.wildcardFind('/m/#a')) == ['/m[0]/zeta[0]', '/m[0]/alpha[0]',
                                                    '/m[0]/soma[0]']

    def test_type_excludes_bufpool(self, tree):
        assert _paths(moose.wildcardFind('/m/##[TYPE=Pool]')) == [
            '/m[0]/zeta[0]', '/m[0]/alpha[0]', '/m[0]/sub[0]/inner[0]']

    def test_isa_includes_bufpool(self, tree):
        assert _paths(moose.wildcardFind('/m/##[ISA=PoolBase]')) == [
            '/m[0]/zeta[0]', '/m[0]/alpha[0]', '/m[0]/buf[0]', '/m[0]/sub[0]/inner[0]']

    def test_type_neutral_at_root_includes_classes(self, tree):
        res = _paths(moose.wildcardFind('/##[TYPE=Neutral]'))
        assert '/classes[0]' in res
        assert '/Msgs[0]' in res
        assert '/m[0]/sub[0]' in res

    def test_field_greater(self, tree):
        assert _paths(moose.wildcardFind('/m/##[FIELD(concInit)>0.5]')) == [
            '/m[0]/alpha[0]', '/m[0]/buf[0]', '/m[0]/sub[0]/inner[0]']

    def test_field_less(self, tree):
        assert _paths(moose.wildcardFind('/m/##[FIELD(concInit)<0.5]')) == ['/m[0]/zeta[0]']

    def test_field_equal(self, tree):
        assert _paths(moose.wildcardFind('/m/##[FIELD(concInit)=0.7]')) == ['/m[0]/alpha[0]']
        assert _paths(moose.wildcardFind('/m/##[FIELD(name)=inner]')) == [
            '/m[0]/sub[0]/inner[0]']

    def test_field_with_type(self, tree):
        res = moose.wildcardFind('/m/##[TYPE=Pool][FIELD(concInit)>0.5]')
        assert _paths(res) == ['/m[0]/alpha[0]', '/m[0]/sub[0]/inner[0]']

    def test_comma_alternatives(self, tree):
        res = _paths(moose.wildcardFind('/m/dend#,/m/sub/#'))
        assert res == ['/m[0]/dend1[0]', '/m[0]/dend2[0]', '/m[0]/sub[0]/inner[0]']
        res = _paths(moose.wildcardFind('/m/#[TYPE=BufPool],/m/soma'))
        assert res == ['/m[0]/buf[0]', '/m[0]/soma[0]']

    def test_creation_order_not_alphabetical(self):
        moose.Neutral('/w')
        for n in ['c', 'a', 'b']:
            moose.Pool('/w/' + n)
        assert [o.name for o in moose.wildcardFind('/w/#')] == ['c', 'a', 'b']

    def test_no_match_is_empty(self, tree):
        assert moose.wildcardFind('/m/##[TYPE=Reac]') == []
        assert moose.wildcardFind('/nothing/#') == []

    def test_relative_pattern(self, tree):
        moose.ce('/m')
        assert _paths(moose.wildcardFind('dend#')) == ['/m[0]/dend1[0]', '/m[0]/dend2[0]']


# ------------------------------------------------------------ /classes and docs
class TestClasses:
    @pytest.mark.parametrize('name', ['Neutral', 'Pool', 'BufPool', 'Reac', 'Enz', 'MMenz',
                                      'Function', 'Table', 'Table2', 'Ksolve', 'Stoich',
                                      'CubeMesh'])
    def test_class_elements_exist(self, name):
        assert moose.exists('/classes/' + name)
        c = moose.element('/classes/' + name)
        assert c.className == 'Cinfo'
        assert c.name == name

    def test_base_class(self):
        assert moose.element('/classes/Pool').baseClass == 'PoolBase'
        assert moose.element('/classes/BufPool').baseClass == 'PoolBase'
        assert moose.element('/classes/Table2').baseClass == 'TableBase'

    def test_docs(self):
        docs = moose.element('/classes/Pool').docs
        assert isinstance(docs, str) and len(docs) > 10

    def test_value_fields_with_units(self):
        vf = moose.element('/classes/Pool').valueFields
        ci = vf['concInit']
        assert len(ci) == 4
        typ, unit, ro, doc = ci
        assert typ == 'double'
        assert unit == 'mM'
        assert ro is False
        assert isinstance(doc, str) and doc
        assert vf['conc'][1] == 'mM'
        assert vf['volume'][1] == 'm^3'
        assert vf['className'][2] is True
        assert vf['path'][2] is True

    def test_doc_class_and_field(self, capsys):
        t = moose.doc('Pool')
        assert 'concInit' in t
        assert 'mM' in t
        t = moose.doc('Pool.concInit')
        assert 'mM' in t
        capsys.readouterr()

    def test_doc_unknown_field(self, capsys):
        with pytest.raises(moose.FieldError):
            moose.doc('Pool.conc_init')

    def test_get_field_names(self):
        names = moose.getFieldNames('Pool', 'valueFinfo')
        for f in ('conc', 'concInit', 'n', 'nInit', 'volume', 'diffConst', 'className',
                  'path', 'name', 'numData', 'tick'):
            assert f in names
        assert 'getConc' in moose.getFieldNames('Pool', 'destFinfo')
        assert 'nOut' in moose.getFieldNames('Pool', 'srcFinfo')
        assert 'reac' in moose.getFieldNames('Pool', 'sharedFinfo')

    def test_get_field_names_bad_kind(self):
        with pytest.raises(moose.MooseError):
            moose.getFieldNames('Pool', 'nonsenseFinfo')

    def test_get_field_names_unknown_class(self):
        with pytest.raises(moose.MooseError):
            moose.getFieldNames('Pol', 'valueFinfo')

    def test_get_field_type_dict(self):
        d = moose.getFieldTypeDict('Pool', 'valueFinfo')
        assert d['concInit'] == 'double'

    def test_showfield(self, capsys):
        moose.Neutral('/m')
        a = moose.Pool('/m/a')
        a.concInit = 0.7
        d = moose.showfield(a)
        out = capsys.readouterr().out
        assert isinstance(d, dict)
        assert d['concInit'] == pytest.approx(0.7, rel=1e-12)
        assert 'concInit' in out
        assert 'a' in out
        assert d['className'] == 'Pool'


# ------------------------------------------------------------ field errors
class TestFieldErrors:
    def _pool(self):
        moose.Neutral('/m')
        return moose.Pool('/m/a')

    def test_unknown_get(self):
        a = self._pool()
        with pytest.raises(moose.FieldError) as ei:
            a.conc_init
        msg = str(ei.value)
        assert _mentions_path(msg, '/m/a')
        assert 'conc_init' in msg
        assert "did you mean 'concInit'" in msg
        for f in ('nInit', 'volume', 'diffConst'):
            assert f in msg

    def test_unknown_set(self):
        a = self._pool()
        with pytest.raises(moose.FieldError) as ei:
            a.conc_init = 1.0
        msg = str(ei.value)
        assert _mentions_path(msg, '/m/a')
        assert 'conc_init' in msg
        assert "did you mean 'concInit'" in msg
        assert 'nInit' in msg

    def test_field_error_is_attribute_error(self):
        a = self._pool()
        assert not hasattr(a, 'conc_init')
        assert getattr(a, 'conc_init', 42) == 42

    def test_getfield_setfield(self):
        a = self._pool()
        moose.setField(a, 'concInit', 0.3)
        assert moose.getField(a, 'concInit') == pytest.approx(0.3, rel=1e-12)
        assert a.getField('concInit') == pytest.approx(0.3, rel=1e-12)
        with pytest.raises(moose.FieldError):
            a.getField('conc_init')
        with pytest.raises(moose.FieldError):
            a.setField('conc_init', 1.0)

    @pytest.mark.parametrize('field,value', [('className', 'Reac'), ('path', '/x'),
                                             ('volume', 1.0), ('isBuffered', True)])
    def test_read_only(self, field, value):
        a = self._pool()
        before = getattr(a, field)
        with pytest.raises(moose.FieldError) as ei:
            setattr(a, field, value)
        assert field in str(ei.value)
        assert getattr(a, field) == before

    def test_read_only_vec(self):
        self._pool()
        with pytest.raises(moose.FieldError):
            moose.vec('/m/a').className = 'Reac'

    @pytest.mark.parametrize('field,value', [('concInit', 'abc'), ('nInit', 'x'),
                                             ('n', None)])
    def test_bad_value(self, field, value):
        a = self._pool()
        a.concInit = 0.4
        with pytest.raises(moose.FieldError) as ei:
            setattr(a, field, value)
        msg = str(ei.value)
        assert _mentions_path(msg, '/m/a')
        assert field in msg
        assert a.concInit == pytest.approx(0.4, rel=1e-12)

    def test_bad_value_negative_conc(self):
        a = self._pool()
        with pytest.raises(moose.FieldError):
            a.concInit = -1.0

    def test_bad_string_for_string_field(self):
        moose.Neutral('/m')
        f = moose.Function('/m/f')
        with pytest.raises(moose.FieldError):
            f.expr = 3.0
