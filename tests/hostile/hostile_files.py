"""Pathological model files for the hostile-input tests, and a runner that
loads one in a fresh interpreter (a libsbml crash would take the test
process down; a subprocess turns it into a failed assertion).

``TIME_LIMIT`` is the bound every load must finish within: generous, for a
2-core machine shared by several jobs.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

TIME_LIMIT = 30.0   # s: generous for a shared, loaded 2-core machine; these inputs used to crash, recurse or run for minutes

SBML_HEAD = '''<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
<model id="m">
<listOfCompartments><compartment id="c" size="1" constant="true" spatialDimensions="3"/>
</listOfCompartments>
<listOfParameters><parameter id="p" value="0" constant="false"/>
<parameter id="k" value="2" constant="true"/></listOfParameters>
'''
MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML">'


def sbml_rule(body, extra=''):
    """An SBML L3V1 model whose parameter p is given by an assignment rule
    with MathML *body* (k = 2 is a constant); *extra* goes into <model>."""
    return (SBML_HEAD + extra + '<listOfRules><assignmentRule variable="p">' + MATH + body +
            '</math></assignmentRule></listOfRules>\n</model></sbml>\n')


def nested_abs(depth):
    """abs(abs(...abs(k)...)), *depth* applies deep: value k."""
    return '<apply><abs/>' * depth + '<ci>k</ci>' + '</apply>' * depth


def flat_plus(n):
    """k + k + ... (n terms) in one <apply>: value 2 n."""
    return '<apply><plus/>' + '<ci>k</ci>' * n + '</apply>'


def run_child(code, timeout=120):
    """Run *code* in a fresh interpreter; it must print one JSON line last.
    Returns (dict, rc).  A crash (signal) gives ({'crashed': rc}, rc)."""
    env = dict(os.environ)
    env.setdefault('MPLBACKEND', 'Agg')
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True,
                       text=True, timeout=timeout, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        return {'crashed': r.returncode, 'stderr': r.stderr[-2000:], 'wall': wall}, \
            r.returncode
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out['wall'] = wall
    return out, 0


LOAD_CODE = '''
import json, time
import moosepy as moose
{setup}
t0 = time.perf_counter()
try:
    {call}
    res = {{'ok': True, 'elapsed': time.perf_counter() - t0}}
    {after}
except Exception as e:
    res = {{'ok': False, 'cls': type(e).__name__, 'msg': str(e)[:2000],
           'moose': isinstance(e, moose.MooseError), 'elapsed': time.perf_counter() - t0}}
print(json.dumps(res))
'''


def load_in_child(path, loader='loadModel', setup='', after='', target='/model'):
    """Load *path* with moose.<loader> in a fresh interpreter; returns the
    child's report: ok, cls, msg, moose (a MooseError?), elapsed [s] (the
    load alone: neither the import nor *after*, which may compile kernels)."""
    call = f'moose.{loader}({str(path)!r}, {target!r})'
    code = LOAD_CODE.format(setup=setup, call=call, after=after or 'pass')
    res, rc = run_child(code)
    return res


ENGINE_SETUP = ('from moosepy.kinetics.sbml.system import read_document, build\n'
                'from moosepy.kinetics.sbml.engine import Engine\n'
                'import libsbml, networkx, scipy.linalg\n')
ENGINE_CALL = 'S = build(read_document({path!r}), {path!r})'
ENGINE_AFTER = "eng = Engine(S); eng.reset(); res['p'] = float(eng.v[S.slots['p']])"


def sbml_value_in_child(path, setup=''):
    """Read and compile *path* with moosepy's SBML system (whatever objects
    readSBML would build from it) in a fresh interpreter and evaluate it at
    t = 0; the report has ``p``, the value of the SBML parameter p."""
    code = LOAD_CODE.format(setup=ENGINE_SETUP + setup, call=ENGINE_CALL.format(path=str(path)),
                            after=ENGINE_AFTER)
    res, rc = run_child(code)
    return res
