"""Issue 15, item 2: no recursion, no hang.

The SBML math walks (libsbml AST to tuple tree, function inlining,
substitution, names, delay/rateOf hoisting, op-code emission) are
iterative, so trees far deeper than Python's recursion limit (1000) load;
self-reference and cycles (rules, function definitions) are errors naming
the file; function definitions that double in size per level are stopped
by ``moosepy.limits.max_expr_nodes`` in time linear in the file; the
Function expression parser (recursive descent) is depth-checked.  Each
case asserts the error and the time.
"""

import sys
import time

import pytest

import moosepy as moose
from moosepy.kinetics import expr as E
from moosepy.kinetics.sbml import mathc as M

from hostile_files import (TIME_LIMIT, sbml_rule, nested_abs, flat_plus, sbml_value_in_child,
                           SBML_HEAD, MATH)

DEEP = 100_000


def _neg_chain(n):
    t = ('v', 'x')
    for _ in range(n):
        t = ('op', 'neg', [t])
    return t


def test_tree_walks_are_iterative_at_100000_deep():
    """Every walk over a tuple tree 100,000 deep (100 x the recursion
    limit) finishes with the right answer; each walk is timed on its own."""
    assert sys.getrecursionlimit() < DEEP
    times = {}

    def timed(name, fn):
        t0 = time.perf_counter()
        r = fn()
        times[name] = time.perf_counter() - t0
        return r

    tree = _neg_chain(DEEP)
    assert timed('depth', lambda: M.depth(tree)) == DEEP + 1
    assert timed('expanded_size', lambda: M.expanded_size(tree)) == DEEP + 1
    assert timed('names', lambda: M.names(tree)) == {'x'}
    sub = timed('substitute', lambda: M.substitute(tree, {'x': ('c', 3.0)}))
    assert M.names(sub) == set()
    with_delay = ('delay', tree, ('c', 1.0))
    stripped = timed('transform', lambda: M.transform(
        with_delay, post=lambda t: t[1] if t[0] == 'delay' else t))
    assert stripped[0] == 'op' and M.depth(stripped) == DEEP + 1
    start, end, depth = timed('emit', lambda: M.Code().add(sub, lambda name: 0))
    assert end - start == DEEP + 1 and depth == 1       # one value, negated DEEP times
    # a left-leaning chain (what a flat <plus> becomes)
    chain = M._chain('+', [('c', 1.0)] * DEEP)
    start, end, depth = timed('emit chain', lambda: M.Code().add(chain, lambda name: 0))
    assert end - start == 2 * DEEP - 1 and depth == 2
    print('tree walks at 10^5 deep [s]: ' +
          ', '.join(f'{k} {v:.2f}' for k, v in times.items()))
    assert max(times.values()) < TIME_LIMIT, times


def test_mathml_1500_deep_loads_with_raised_bounds(tmp_path):
    """Past Python's recursion limit from the file to the compiled model
    (libsbml included, so in a subprocess): abs nested 1500 deep around
    k = 2 gives p = 2."""
    f = tmp_path / 'deep1500.xml'
    f.write_text(sbml_rule(nested_abs(1500)))
    res = sbml_value_in_child(f, setup='moose.limits.max_math_depth = 1600; '
                                       'moose.limits.max_depth = 1700')
    assert res.get('ok'), res
    assert res['p'] == 2.0
    print(f"1500-deep MathML read and compiled in {res['elapsed']:.2f} s")
    assert res['elapsed'] < TIME_LIMIT


def test_flat_plus_of_5000_terms_loads(tmp_path):
    """A <plus> of 5000 k's (within max_math_nodes) becomes a chain 5000
    deep, 5 x the recursion limit; p = 5000 k = 10000."""
    f = tmp_path / 'flat5000.xml'
    f.write_text(sbml_rule(flat_plus(5000)))
    res = sbml_value_in_child(f)
    assert res.get('ok'), res
    assert res['p'] == 10000.0
    print(f"5000-term <plus> read and compiled in {res['elapsed']:.2f} s")
    assert res['elapsed'] < TIME_LIMIT


def _model_with(rules='', functions='', params=''):
    head = SBML_HEAD.replace('</listOfParameters>', params + '</listOfParameters>')
    if functions:
        head = head.replace('<listOfCompartments>', '<listOfFunctionDefinitions>' +
                            functions + '</listOfFunctionDefinitions>\n<listOfCompartments>')
    return head + '<listOfRules>' + rules + '</listOfRules>\n</model></sbml>\n'


def _rule(var, body):
    return f'<assignmentRule variable="{var}">{MATH}{body}</math></assignmentRule>\n'


def _fn(name, arg, body):
    return (f'<functionDefinition id="{name}">{MATH}<lambda><bvar><ci>{arg}</ci></bvar>'
            f'{body}</lambda></math></functionDefinition>\n')


def _load_error(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    t0 = time.perf_counter()
    with pytest.raises(moose.ModelImportError) as ei:
        moose.readSBML(str(f), '/m')
    elapsed = time.perf_counter() - t0
    assert str(f) in str(ei.value)
    assert not moose.exists('/m')
    assert elapsed < TIME_LIMIT, elapsed
    return str(ei.value)


def test_self_referential_assignment_rule(tmp_path):
    msg = _load_error(tmp_path, 'self.xml', sbml_rule(
        '<apply><plus/><ci>p</ci><ci>k</ci></apply>'))
    assert "'p'" in msg and ('itself' in msg or 'circular' in msg or 'cycle' in msg.lower()
                             or 'loop' in msg.lower()), msg


def test_cycle_of_assignment_rules(tmp_path):
    msg = _load_error(tmp_path, 'cycle.xml', _model_with(
        rules=_rule('p', '<ci>q</ci>') + _rule('q', '<ci>p</ci>'),
        params='<parameter id="q" value="0" constant="false"/>'))
    assert ('circular' in msg or 'cycle' in msg.lower() or 'loop' in msg.lower()), msg


def test_recursive_function_definitions(tmp_path):
    msg = _load_error(tmp_path, 'fself.xml', _model_with(
        functions=_fn('f', 'x', '<apply><ci>f</ci><ci>x</ci></apply>'),
        rules=_rule('p', '<apply><ci>f</ci><ci>k</ci></apply>')))
    assert "'f'" in msg and 'recursi' in msg.lower(), msg
    msg = _load_error(tmp_path, 'fmutual.xml', _model_with(
        functions=_fn('f', 'x', '<apply><ci>g</ci><ci>x</ci></apply>') +
        _fn('g', 'x', '<apply><ci>f</ci><ci>x</ci></apply>'),
        rules=_rule('p', '<apply><ci>f</ci><ci>k</ci></apply>')))
    assert 'recursi' in msg.lower(), msg


def test_function_definitions_that_double_each_level(tmp_path):
    """f0(x) = x * x, f_i(x) = f_{i-1}(f_{i-1}(x)) squares the number of
    leaves per level: f5 written out has 2^33 - 1 nodes.  Refused by
    max_expr_nodes in time linear in the file (the inlined expressions are
    DAGs of a few nodes per level, sized without writing them out)."""
    fns = _fn('f0', 'x', '<apply><times/><ci>x</ci><ci>x</ci></apply>')
    for i in range(1, 20):
        fns += _fn(f'f{i}', 'x', f'<apply><ci>f{i - 1}</ci><apply><ci>f{i - 1}</ci>'
                   f'<ci>x</ci></apply></apply>')
    msg = _load_error(tmp_path, 'double.xml', _model_with(
        functions=fns, rules=_rule('p', '<apply><ci>f19</ci><ci>k</ci></apply>')))
    assert "function 'f5': the expression has 8589934591 nodes once function definitions " \
        'are inlined' in msg, msg
    assert 'max_expr_nodes' in msg and 'moosepy.limits.max_expr_nodes = N' in msg, msg


def test_function_definitions_calling_each_other_100_deep(tmp_path):
    """libsbml's consistency check takes ~67 s on a chain of 100 function
    definitions (f_i(x) = f_{i-1}(x)); the chain is refused before it."""
    fns = _fn('f0', 'x', '<apply><times/><ci>x</ci><ci>x</ci></apply>')
    for i in range(1, 100):
        fns += _fn(f'f{i}', 'x', f'<apply><ci>f{i - 1}</ci><ci>x</ci></apply>')
    msg = _load_error(tmp_path, 'fchain.xml', _model_with(
        functions=fns, rules=_rule('p', '<apply><ci>f99</ci><ci>k</ci></apply>')))
    assert "calling one another 100 deep (through 'f99')" in msg, msg
    assert 'max_function_depth = 20' in msg and ', line ' in msg


def test_function_expression_parser_is_depth_checked():
    t0 = time.perf_counter()
    for text in ['(' * DEEP + 'x0' + ')' * DEEP, '-' * DEEP + 'x0', '2^' * DEEP + '2',
                 'sin(' * DEEP + 'x0' + ')' * DEEP]:
        with pytest.raises(moose.FieldError, match='max_expr_depth'):
            E.parse(text, where='/f (Function).expr')
    f = moose.Function('/f')
    with pytest.raises(moose.FieldError, match=r'/f.*nested more than 60 deep'):
        f.expr = '(' * DEEP + 'x0' + ')' * DEEP
    elapsed = time.perf_counter() - t0
    assert elapsed < TIME_LIMIT, elapsed
    # within the bound, the value is right: 59 parentheses and 59 negations
    assert E.evaluate(E.parse('(' * 59 + 'x0 + 1' + ')' * 59), [2.0]) == 3.0
    assert E.evaluate(E.parse('-' * 58 + 'x0'), [2.0]) == 2.0
    # a flat sum of 10^5 terms is parsed by loops, not recursion
    p = E.parse('+'.join(['x0'] * 100_000))
    assert E.evaluate(p, [1.5]) == 150_000.0
