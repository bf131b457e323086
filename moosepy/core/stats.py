"""Running statistics of a signal: ``Stats`` and ``SpikeStats``.

``Stats`` takes samples on ``input`` (and, at each of its ticks, pulls
values through ``requestOut`` from ``get<Field>`` destinations, as a Table
does) and keeps their count, sum, mean and (population) standard
deviation, over the whole run and over a window of the last
``windowLength`` samples (a ring buffer; window statistics are taken over
min(windowLength, num) samples).  ``SpikeStats`` counts spikes per tick
(``addSpike`` events, or upward crossings of ``threshold`` by values on
``Vm``) and feeds the rate, count/dt [1/s], to the same statistics at each
tick.

Defaults and ticks are MOOSE 5.0.0's (Stats: tick 17, dt 0.1 s; SpikeStats:
tick 7).  One deliberate difference: MOOSE's sdev of a constant signal can
be NaN (a rounding-negative variance under the square root); moosepy
clamps the variance at 0.
"""

import math

import numpy as np

from .element import Neutral
from .errors import FieldError
from .fields import Field, Src, Dest
from .msg import linked_indices


def _sd(sq, s, n):
    return math.sqrt(max(0.0, (sq - s * s / n) / n))


class Stats(Neutral):
    """Mean, standard deviation, sum and count of the values it receives,
    overall and over a window of the last ``windowLength`` samples."""

    default_tick = 17

    mean = Field(0.0, '', 'Mean of all samples', ro=True, stored=False)
    sdev = Field(0.0, '', 'Standard deviation (population) of all samples', ro=True,
                 stored=False)
    sum = Field(0.0, '', 'Sum of all samples', ro=True)
    num = Field(0, '', 'Number of samples', type='unsigned int', ro=True)
    windowLength = Field(0, '', 'Number of samples in the window (0: no window)',
                         type='unsigned int', stored=False)
    wmean = Field(0.0, '', 'Mean of the samples in the window', ro=True, stored=False)
    wsdev = Field(0.0, '', 'Standard deviation of the samples in the window', ro=True,
                  stored=False)
    wsum = Field(0.0, '', 'Sum of the samples in the window', ro=True, stored=False)
    wnum = Field(0, '', 'Number of samples in the window', type='unsigned int', ro=True,
                 stored=False)
    _sumsq = Field(0.0, '', hidden=True)
    _wmean = Field(0.0, '', hidden=True)
    _wsdev = Field(0.0, '', hidden=True)

    ports = (Dest('input', 'double', 'Receives a sample'),
             Src('requestOut', 'request', 'Asks get<Field> destinations for samples at '
                 'each tick'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _buf(self):
        lst = self._el.data.setdefault('samples', [])
        while len(lst) < self._el.num:
            lst.append(np.zeros(0))
        return lst

    @classmethod
    def _on_copy(cls, new, old):
        k = new.num // old.num if old.num else 1
        new.data['samples'] = [a.copy() for a in old.data.get('samples', [])] * k

    def _add(self, v):
        c = self._el.cols
        i = self._idx
        v = float(v)
        c['sum'][i] += v
        c['_sumsq'][i] += v * v
        buf = self._buf()[i]
        if len(buf):
            buf[c['num'][i] % len(buf)] = v
        c['num'][i] += 1

    def _recv_input(self, v):
        self._add(v)

    def _get_mean(self):
        n = self.num
        return self.sum / n if n > 0 else 0.0

    def _get_sdev(self):
        n = self.num
        return _sd(self._el.cols['_sumsq'][self._idx], self.sum, n) if n > 0 else 0.0

    def _get_windowLength(self):
        return len(self._buf()[self._idx])

    def _set_windowLength(self, n):
        if n < 0:
            raise FieldError(f'{self.path} ({self.className}).windowLength: expected >= 0, '
                             f'got {n}')
        buf = self._buf()
        old = buf[self._idx]
        new = np.zeros(n if n < 1e6 else 0)    # MOOSE: 1e6 or more means no window
        m = min(len(old), len(new))
        new[:m] = old[:m]
        buf[self._idx] = new

    def _window(self):
        buf = self._buf()[self._idx]
        m = min(len(buf), self.num)
        c = self._el.cols
        i = self._idx
        s = float(buf[:m].sum())
        if m > 0:
            # as MOOSE: with an empty window the last mean and sdev stay
            c['_wmean'][i] = s / m
            c['_wsdev'][i] = _sd(float(np.dot(buf[:m], buf[:m])), s, m)
        return s, m

    def _get_wsum(self):
        return self._window()[0]

    def _get_wnum(self):
        return self._window()[1]

    def _get_wmean(self):
        self._window()
        return float(self._el.cols['_wmean'][self._idx])

    def _get_wsdev(self):
        self._window()
        return float(self._el.cols['_wsdev'][self._idx])

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        for k in ('sum', 'num', '_sumsq', '_wmean', '_wsdev'):
            c[k][:] = 0
        h = el.handle(0)
        for b in h._buf():
            b[:] = 0.0

    @classmethod
    def _batch_role(cls, el):
        return 'python' if el.msg_out or el.msg_in else 'idle'

    @classmethod
    def _process(cls, el, t, dt):
        from .table import _read
        for i in range(el.num):
            src = linked_indices(el, i, 'requestOut')
            if src:
                h = el.handle(i)
                for o, j, port in src:
                    h._add(_read(o, j, port))


class SpikeStats(Stats):
    """Statistics of a spike rate: spikes counted per tick (``addSpike``
    events, or upward crossings of ``threshold`` by ``Vm`` values) give the
    rate count/dt [1/s] sampled at each tick."""

    default_tick = 7

    threshold = Field(0.0, 'V', 'Vm above this after being below counts as a spike')
    _count = Field(0, '', type='int', hidden=True)
    _fired = Field(False, '', type='bool', hidden=True)

    ports = (Dest('addSpike', 'double', 'Receives a spike time [s] (counted this tick)'),
             Dest('Vm', 'double', 'Receives Vm [V]; an upward threshold crossing is a '
                  'spike'))

    def _recv_addSpike(self, t):
        self._el.cols['_count'][self._idx] += 1

    def _recv_Vm(self, v):
        c = self._el.cols
        i = self._idx
        if c['_fired'][i]:
            if v < c['threshold'][i]:
                c['_fired'][i] = False
        elif v > c['threshold'][i]:
            c['_fired'][i] = True
            c['_count'][i] += 1

    @classmethod
    def _reinit(cls, el):
        super()._reinit(el)
        el.cols['_count'][:] = 0
        el.cols['_fired'][:] = False

    @classmethod
    def _batch_role(cls, el):
        return 'python'

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        rates = c['_count'] / dt
        c['_count'][:] = 0
        for i in range(el.num):
            el.handle(i)._add(rates[i])


__all__ = ['Stats', 'SpikeStats']
