"""Element-name patterns read without regular expressions (a regex
compiled at a script's first wildcardFind cost ~0.3 ms): '#'/'*' patterns
against Python's fnmatch, and a wildcard path level's name and [..] groups
against the regular expression the reader used before."""

import fnmatch
import random
import re

import pytest

import moosepy as moose
from moosepy.core.errors import PathError
from moosepy.core.shell import _parse_component, star_match


def test_star_match_as_fnmatch():
    rng = random.Random(7)
    alpha = 'ab_.'
    n = 0
    for _ in range(20000):
        name = ''.join(rng.choice(alpha) for _ in range(rng.randint(0, 7)))
        pat = ''.join(rng.choice(alpha + '*#') for _ in range(rng.randint(0, 6)))
        want = fnmatch.fnmatchcase(name, pat.replace('#', '*'))
        assert star_match(name, pat) == want, (name, pat)
        n += want
    assert 1000 < n < 19000         # both answers well represented
    for name, pat, want in [('soma', '#oma#', True), ('dend_3', '#dend#', True),
                            ('apical', '#dend#', False), ('a', 'a*a', False),
                            ('aa', 'a*a', True), ('', '#', True), ('x', '', False)]:
        assert star_match(name, pat) is want


_OLD = re.compile(r'^([^\[]*)((?:\[[^\]]*\])*)$')


@pytest.mark.parametrize('comp', ['soma', 'a[1]', 'a[]', '#[TYPE=Pool]', 'x[ISA=Pool][2]',
                                  'n[FIELD(Vm)>0]', 'a]b[3]', 'n[FIELD(x)=a[b]', '##[ISA=Compartment]'])
def test_components_as_before(comp):
    m = _OLD.match(comp)
    name, index, conds = _parse_component(comp, '/p/' + comp)
    assert name == m.group(1)
    groups = re.findall(r'\[([^\]]*)\]', m.group(2))
    assert len(conds) == sum(1 for g in groups if g.strip() and not g.strip().isdigit())
    digits = [int(g) for g in groups if g.strip().isdigit()]
    if digits:
        assert index == digits[-1]


@pytest.mark.parametrize('comp', ['a[1', 'a[1]x', 'a[1]]', 'a[2][', 'a[[1]]x'])
def test_bad_components_raise(comp):
    assert _OLD.match(comp) is None
    with pytest.raises(PathError, match='bad component'):
        moose.wildcardFind('/' + comp)
