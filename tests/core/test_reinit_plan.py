"""The clock's reinit plan (which objects have a reinit hook, in schedule
order) is kept while the schedule is the same and made again when the
structure changes; a class with ``_prepare_reinit_once`` has its hook
called once per reinit, not once per element."""

import moosepy as moose
from moosepy.core import clock
from moosepy.electrical.compartment import CompartmentBase


def _comps(n, cls=moose.Compartment, base='/c'):
    out = []
    for i in range(n):
        c = cls(f'{base}{i}')
        c.initVm = -0.07 - 0.001 * i
        out.append(c)
    return out


def test_objects_made_and_deleted_between_reinits_are_seen():
    cs = _comps(2)
    moose.reinit()
    plan = clock._PLAN['pre'], clock._PLAN['post']
    for c in cs:
        c.Vm = 0.5
    moose.reinit()
    assert [c.Vm for c in cs] == [c.initVm for c in cs]
    assert (clock._PLAN['pre'], clock._PLAN['post']) == plan      # kept
    assert clock._PLAN['post'] is plan[1]
    new = moose.Compartment('/late')
    new.initVm = -0.05
    new.Vm = 0.5
    moose.reinit()                                  # a new object: a new plan
    assert clock._PLAN['post'] is not plan[1]
    assert new.Vm == -0.05
    moose.delete(cs[0])
    cs[1].Vm = 0.5
    new.Vm = 0.5
    moose.reinit()
    assert cs[1].Vm == cs[1].initVm and new.Vm == -0.05
    assert all(el.alive for el in clock._PLAN['post'][0])


def test_a_hook_for_the_class_runs_once(monkeypatch):
    calls = []

    def hook(cls, el):
        calls.append(el.path)
        return ()

    monkeypatch.setattr(CompartmentBase, '_prepare_reinit', classmethod(hook))
    _comps(3)
    _comps(2, moose.SymCompartment, '/s')
    moose.reinit()
    assert len(calls) == 1
    calls.clear()
    monkeypatch.setattr(CompartmentBase, '_prepare_reinit_once', False)
    moose.Compartment('/one_more')              # a structure change: a new plan
    moose.reinit()
    assert len(calls) == 6
