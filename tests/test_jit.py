"""moosepy.jit: kernels load lazily, an AOT specialisation is taken only for
arguments of exactly its numba types, and numba compiles are reported."""

import logging
import subprocess
import sys
import time

import numpy as np
import pytest

from moosepy import jit

KERNEL_MODULES = ('moosepy.electrical.hkernels', 'moosepy.kinetics.kernels',
                  'moosepy.stochastic.kernels', 'moosepy.stochastic.tau',
                  'moosepy.kinetics.sbml.kernels', 'moosepy.kinetics.dkernels',
                  'moosepy.electrical.eekernels', 'moosepy.electrical.difkernels',
                  'moosepy.electrical.fkernels', 'moosepy.electrical.ifkernels',
                  'moosepy.kinetics.gslrk')


def test_import_loads_neither_numba_nor_scipy():
    code = ('import sys, moosepy\n'
            + ''.join(f'import {m}\n' for m in KERNEL_MODULES)
            + 'print(sorted(m for m in ("numba", "scipy", "networkx", "libsbml", "matplotlib")'
              ' if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'


def _probe(*args):
    return ('py', args)


def _dispatch(specs):
    """A call function over fake AOT entries (one per spec); returns it and
    the list of calls that went to numba's side."""
    k = jit.Kernel(_probe, {'cache': False}, 'tests.test_jit')
    fell = []
    k.numba_call = lambda *a, **kw: fell.append((a, kw)) or 'numba'
    entries = [(spec, (lambda j: lambda *a: ('aot', j))(j)) for j, spec in enumerate(specs)]
    return jit._make_aot_call(k, entries), fell


VALUES = {
    'float': 1.5, 'int': 3, 'bool': True, 'np.float64': np.float64(2.0),
    'np.int64': np.int64(4), 'np.int32': np.int32(4), 'np.float32': np.float32(1.0),
    'f8 C': np.zeros(4), 'f8 2d C': np.zeros((3, 4)), 'f8 2d F': np.zeros((3, 4), order='F'),
    'f8 strided': np.zeros(8)[::2], 'i8 C': np.zeros(4, dtype=np.int64),
    'i4 C': np.zeros(4, dtype=np.int32), 'f4 C': np.zeros(4, dtype=np.float32),
    'bool C': np.zeros(4, dtype=bool),
}


def _readonly():
    a = np.zeros(4)
    a.flags.writeable = False
    return a


VALUES['f8 C readonly'] = _readonly()
# an array whose dtype equals numpy's float64 but is another object (arrays
# an AOT kernel returns are so): the same numba type, so the AOT entry
VALUES['f8 C, dtype not the singleton'] = np.zeros(4, dtype=np.dtype('float64').newbyteorder('='))
VALUES['tuple f8 C, i8 C'] = (np.zeros(2), np.zeros(2, dtype=np.int64))
VALUES['tuple f8 C, f8 C'] = (np.zeros(2), np.zeros(3))
VALUES['tuple f8 C, f8 strided'] = (np.zeros(2), np.zeros(6)[::2])
VALUES['tuple float, int'] = (1.0, 2)


def test_aot_taken_exactly_for_numba_types():
    """For every pair of sample values, the AOT entry built from numba's
    typeof of one is taken for the other iff numba types both alike."""
    numba = pytest.importorskip('numba')
    for name, v in VALUES.items():
        spec = jit.spec_of(numba.typeof(v))
        assert spec is not None, name
        call, fell = _dispatch([(spec,)])
        for other, w in VALUES.items():
            same = numba.typeof(w) == numba.typeof(v)
            got = call(w)
            assert got == (('aot', 0) if same else 'numba'), (name, other)


def test_aot_dispatch_picks_matching_entry_and_falls_back():
    f8 = ('a', 'float64', 1, 'C', False)
    i8 = ('a', 'int64', 1, 'C', False)
    call, fell = _dispatch([(f8, ('s', 'float64'), i8), (f8, ('s', 'int64'), i8)])
    y, idx = np.zeros(3), np.arange(3)
    assert call(y, 0.5, idx) == ('aot', 0)
    assert call(y, np.float64(0.5), idx) == ('aot', 0)
    assert call(y, 2, idx) == ('aot', 1)
    assert call(y, 0.5, idx.astype(np.int32)) == 'numba'      # other dtype
    assert call(y[::2], 0.5, idx) == 'numba'                   # not contiguous
    assert call(y, 0.5) == 'numba'                             # arity
    assert call(y, 0.5, idx=idx) == 'numba'                    # keywords
    assert call(list(y), 0.5, idx) == 'numba'                  # not an array
    assert len(fell) == 5 and list(fell[3][1]) == ['idx']


def _fresh_kernel():
    def probe_kernel(x):
        s = 0.0
        for i in range(x.shape[0]):
            s += x[i] * x[i]
        return s
    probe_kernel.__module__ = 'moosepy.test_probe'     # reported as a moosepy kernel
    return jit.njit(cache=False)(probe_kernel)


def test_compile_is_logged(caplog):
    k = _fresh_kernel()
    with caplog.at_level(logging.INFO, logger='moosepy.jit'):
        assert k(np.arange(4.0)) == 14.0
    msgs = [r.getMessage() for r in caplog.records if r.name == 'moosepy.jit']
    assert any(m.startswith('compiling moosepy.test_probe.') for m in msgs), msgs
    assert any(m.startswith('compiled moosepy.test_probe.') and ' s (' in m for m in msgs), msgs


def test_progress_lines_while_compiling(caplog):
    """While a compilation lasts, a progress record (extra progress=True)
    comes every interval, naming the kernel and the time so far."""
    p = jit._Progress()
    p.interval = 0.05
    with caplog.at_level(logging.INFO, logger='moosepy.jit'):
        p.start('moosepy.kinetics.kernels.rhs_odeint')
        p.start('moosepy.kinetics.kernels.rhs_m')
        time.sleep(0.4)
        p.end()
        p.end()
        time.sleep(0.15)
    recs = [r for r in caplog.records if r.name == 'moosepy.jit']
    prog = [r for r in recs if getattr(r, 'progress', False)]
    assert len(prog) >= 2
    assert 'rhs_odeint' in prog[0].getMessage() and 'now moosepy.kinetics.kernels.rhs_m' \
        in prog[0].getMessage()
    assert recs[-1].getMessage().startswith('compiled moosepy.kinetics.kernels.rhs_odeint in')
    assert not any(getattr(r, 'progress', False) for r in recs[recs.index(recs[-1]):])
