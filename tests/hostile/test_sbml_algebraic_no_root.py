"""An SBML algebraic rule with no solution (p - (p + 1) = 0) is a
SolverError naming the file and the unknown at reinit, not a run with the
last Newton iterate as p (issue 15 item 2: self-referential rules; it read
p = 900.72, then -4.5e8, silently)."""

import pytest

import moosepy as moose
from moosepy.core.errors import SolverError

DOC = '''<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
  <model id="m">
    <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
    <listOfParameters><parameter id="p" value="1" constant="false"/></listOfParameters>
    <listOfRules>
      <algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><minus/>
        <ci>p</ci><apply><plus/><ci>p</ci><cn>{c}</cn></apply></apply></math></algebraicRule>
    </listOfRules>
  </model>
</sbml>
'''


def test_algebraic_rule_without_root_is_a_solver_error(tmp_path):
    f = tmp_path / 'noroot.xml'
    f.write_text(DOC.format(c=1))
    with pytest.raises(SolverError, match=r'noroot.xml: the algebraic rules / fast reactions '
                                          r'have no solution at t = 0: .*residual of -1 '
                                          r'\(unknowns p\)'):
        moose.readSBML(str(f), '/a')
        moose.reinit()
        moose.start(1.0)
    assert not moose.exists('/a')           # nothing half-built
