"""Stimuli: ``PulseGen`` (pulse trains) and ``VClamp`` (voltage clamp).

Timing, as MOOSE: a PulseGen on tick 0 evaluates its output at the *end* of
each step (t + dt) and that value drives the compartment over the step
t -> t + dt, so a pulse with ``firstDelay`` d acts from d - dt.  (To match
NEURON's IClamp with delay d use ``firstDelay = d + dt``.)  An HSolve
evaluates the PulseGens that feed its compartments inside its kernel with the
same rule, so the answers do not depend on the solver.
"""

import math

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, LookupField, Src, Dest
from ..core.msg import links, linked_indices
from .compartment import CompartmentBase, send_values

FREE_RUN, EXT_TRIG, EXT_GATE = 0, 1, 2


def pulse_value(t, base, level, width, delay, trig_mode=FREE_RUN, trig_time=-1.0,
                gate_on=True, prev=None):
    """MOOSE's PulseGen output at time *t* [s] (free run, or relative to
    *trig_time* for the triggered modes).

    The period is ``delay[0] + width[0]`` plus, for every later pulse with a
    nonzero delay or width, ``max(0, delay[i] + width[i] - width[i-1])``; each
    pulse's delay counts from the start of the previous pulse.  Between the
    end of the last pulse and the end of the period the previous output is
    kept (*prev*, baseLevel when None).
    """
    n = len(width)
    period = width[0] + delay[0] if n else 0.0
    for i in range(1, n):
        if width[i] > 0.0 or delay[i] > 0.0:
            inc = delay[i] + width[i] - width[i - 1]
            if inc > 0:
                period += inc
    if period <= 0.0:
        return base
    if trig_mode == FREE_RUN:
        phase = math.fmod(t, period)
    elif trig_mode == EXT_TRIG:
        phase = period if trig_time < 0 else t - trig_time
    else:
        phase = period if not gate_on else math.fmod(t - trig_time, period)
    if phase >= period:
        return base
    out = base if prev is None else prev
    for i in range(n):
        if phase < delay[i]:
            return base
        if phase < delay[i] + width[i]:
            return level[i]
        phase -= delay[i]
    return out


class PulseGen(Neutral):
    """Pulse generator: ``count`` pulses of ``level[i]`` lasting ``width[i]``,
    each starting ``delay[i]`` after the start of the previous one (the first
    after the start of the period), repeated with the period they span;
    ``baseLevel`` between pulses.  ``output`` sends the value (e.g. a current
    [A] to a Compartment's ``injectMsg``)."""

    default_tick = 0

    baseLevel = Field(0.0, '', 'Output between pulses (unit of the target, e.g. A)')
    firstLevel = Field(0.0, '', 'Level of pulse 0', stored=False)
    firstWidth = Field(0.0, 's', 'Width of pulse 0', stored=False)
    firstDelay = Field(0.0, 's', 'Delay of pulse 0 from the start of the period',
                       stored=False)
    secondLevel = Field(0.0, '', 'Level of pulse 1', stored=False)
    secondWidth = Field(0.0, 's', 'Width of pulse 1', stored=False)
    secondDelay = Field(0.0, 's', 'Delay of pulse 1 from the start of pulse 0',
                        stored=False)
    count = Field(2, '', 'Number of pulses', type='unsigned int', stored=False)
    trigMode = Field(0, '', 'Trigger mode: 0 free run, 1 external trigger, 2 external gate',
                     type='unsigned int')
    outputValue = Field(0.0, '', 'Last output', ro=True)
    level = LookupField('unsigned int', 'double', '', 'Level of pulse i')
    width = LookupField('unsigned int', 'double', 's', 'Width of pulse i')
    delay = LookupField('unsigned int', 'double', 's', 'Delay of pulse i')
    _input = Field(0.0, '', hidden=True)
    _prevInput = Field(0.0, '', hidden=True)
    _trigTime = Field(-1.0, 's', hidden=True)

    ports = (Src('output', 'double', 'Sends the output every step'),
             Dest('input', 'double', 'Trigger/gate input (trigMode 1 and 2)'),
             Dest('levelIn', 'uint_double', 'Sets level[i]'),
             Dest('widthIn', 'uint_double', 'Sets width[i]'),
             Dest('delayIn', 'uint_double', 'Sets delay[i]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def __init_obj__(self):
        n = self._el.num
        self._el.data['p'] = {k: np.zeros((n, 2)) for k in ('L', 'W', 'D')}

    @classmethod
    def _on_copy(cls, new, old):
        k = new.num // max(1, old.num)
        new.data['p'] = {key: np.tile(v, (k, 1)) for key, v in old.data['p'].items()}

    def _p(self):
        p = self._el.data['p']
        if p['L'].shape[0] < self._el.num:      # resized element
            for key in p:
                v = np.zeros((self._el.num, p[key].shape[1]))
                v[:p[key].shape[0]] = p[key]
                p[key] = v
        return p

    def _geti(self, key, i):
        arr = self._p()[key]
        i = int(i)
        if not 0 <= i < arr.shape[1]:
            raise FieldError(f'{self.path} (PulseGen): pulse index {i} out of range '
                             f'(count {arr.shape[1]}); set count first')
        return float(arr[self._idx, i])

    def _seti(self, key, i, v):
        arr = self._p()[key]
        i = int(i)
        if not 0 <= i < arr.shape[1]:
            raise FieldError(f'{self.path} (PulseGen): pulse index {i} out of range '
                             f'(count {arr.shape[1]}); set count first')
        if key != 'L' and (v < 0 or not math.isfinite(v)):
            raise FieldError(f'{self.path} (PulseGen): {"width" if key == "W" else "delay"}'
                             f'[{i}] must be a finite time >= 0, got {v}')
        arr[self._idx, i] = float(v)

    def _get_count(self):
        return int(self._p()['L'].shape[1])

    def _set_count(self, n):
        n = int(n)
        p = self._p()
        for key in p:
            v = np.zeros((self._el.num, n))
            k = min(n, p[key].shape[1])
            v[:, :k] = p[key][:, :k]
            p[key] = v

    def _lookup_level(self, i):
        return self._geti('L', i)

    def _lookupset_level(self, i, v):
        self._seti('L', i, v)

    def _lookup_width(self, i):
        return self._geti('W', i)

    def _lookupset_width(self, i, v):
        self._seti('W', i, v)

    def _lookup_delay(self, i):
        return self._geti('D', i)

    def _lookupset_delay(self, i, v):
        self._seti('D', i, v)

    def _recv_levelIn(self, v):
        self._seti('L', v[0], v[1])

    def _recv_widthIn(self, v):
        self._seti('W', v[0], v[1])

    def _recv_delayIn(self, v):
        self._seti('D', v[0], v[1])

    def _recv_input(self, v):
        self._el.cols['_input'][self._idx] = v

    def _named(key, i):
        def g(self):
            return self._geti(key, i)

        def s(self, v):
            if self._get_count() <= i:
                self._set_count(i + 1)
            self._seti(key, i, v)
        return g, s

    _get_firstLevel, _set_firstLevel = _named('L', 0)
    _get_firstWidth, _set_firstWidth = _named('W', 0)
    _get_firstDelay, _set_firstDelay = _named('D', 0)
    _get_secondLevel, _set_secondLevel = _named('L', 1)
    _get_secondWidth, _set_secondWidth = _named('W', 1)
    _get_secondDelay, _set_secondDelay = _named('D', 1)
    del _named

    # ---------------------------------------------------------------- clock
    @classmethod
    def _batch_role(cls, el):
        """Idle when nothing uses the output (no ``output`` target and no
        field read such as a Table's ``getOutputValue``) or when an HSolve
        evaluates the pulse (:meth:`absorbed`; it writes ``outputValue``)."""
        if not links(el, 'output'):
            read = any(m.destField.startswith('get') for m in el.msg_in)
            return 'python' if read else 'idle'
        return 'idle' if cls.absorbed(el) else 'python'

    @classmethod
    def absorbed(cls, el):
        """True when an HSolve sends the pulse: every ``output`` target is a
        compartment it owns and the PulseGen runs free (the Python step,
        if any, then only updates ``outputValue``)."""
        targets = links(el, 'output')
        if not targets or np.any(el.cols['trigMode'] != FREE_RUN):
            return False
        for other, oport, m, fwd in targets:
            if not (issubclass(other.cls, CompartmentBase) and oport == 'injectMsg'
                    and other.data.get('hsolve') is not None):
                return False
        return True

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        c['outputValue'][:] = c['baseLevel']
        c['_input'][:] = 0.0
        c['_prevInput'][:] = 0.0
        c['_trigTime'][:] = -1.0
        if not cls.absorbed(el):
            send_values(el, 'output', c['outputValue'])

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        p = el.handle(0)._p()
        for i in range(el.num):
            mode = int(c['trigMode'][i])
            gate_on = True
            if mode in (EXT_TRIG, EXT_GATE):
                inp = c['_input'][i]
                if inp != 0 and c['_prevInput'][i] == 0:
                    c['_trigTime'][i] = t
                gate_on = inp != 0
                c['_prevInput'][i] = inp
            c['outputValue'][i] = pulse_value(t, c['baseLevel'][i], p['L'][i], p['W'][i],
                                              p['D'][i], mode, c['_trigTime'][i], gate_on,
                                              c['outputValue'][i])
        if cls.absorbed(el):
            return
        send_values(el, 'output', c['outputValue'])


class VClamp(Neutral):
    """Voltage clamp: a PID controller that injects ``current`` [A] into a
    compartment (``currentOut`` -> ``injectMsg``) to hold its Vm (received on
    ``sensedIn`` from the compartment's ``VmOut``) at ``command`` [V].

    The command (field, or ``commandIn``) passes a first-order low-pass filter
    of time constant ``tau``; the PID runs in velocity form with
    proportional gain ``gain`` [A/V] (default Cm/dt of the clamped
    compartment), integral time ``ti`` (default dt) and derivative time ``td`` (default -1:
    no derivative term; a negative td is set to 0 at reinit, as MOOSE).
    ``mode`` 0: PID on the error; 1: derivative on the sensed Vm; 2:
    proportional and derivative on the sensed Vm."""

    default_tick = 0

    command = Field(0.0, 'V', 'Command potential')
    current = Field(0.0, 'A', 'Current injected', ro=True)
    sensed = Field(0.0, 'V', 'Membrane potential sensed', ro=True)
    gain = Field(0.0, 'A/V', 'Proportional gain (0: Cm/dt at reinit)')
    tau = Field(0.0, 's', 'Command filter time constant (0: 5 dt at reinit)')
    ti = Field(0.0, 's', 'Integral time (0: dt at reinit)')
    td = Field(-1.0, 's', 'Derivative time (negative: no derivative term; set to 0 at '
               'reinit, as MOOSE)')
    mode = Field(0, '', '0 PID on error, 1 derivative on Vm, 2 P and D on Vm',
                 type='unsigned int')
    _st = Field(None, '', type='object', hidden=True)

    ports = (Src('currentOut', 'double', 'Sends the clamp current [A]'),
             Dest('commandIn', 'double', 'Receives the command [V]'),
             Dest('sensedIn', 'double', 'Receives the sensed Vm [V]'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _recv_commandIn(self, v):
        self._el.cols['command'][self._idx] = v

    def _recv_sensedIn(self, v):
        self._el.cols['sensed'][self._idx] = v

    @staticmethod
    def _sensed_sources(el, i):
        # cached until the messages into the clamp change
        key = (len(el.msg_in), id(el.msg_in[-1]) if el.msg_in else 0)
        cache = el.data.get('_sensed')
        if cache is None or cache[0] != key:
            cache = el.data['_sensed'] = (key, {})
        src = cache[1].get(i)
        if src is None:
            src = cache[1][i] = [(o, j) for o, j, p in linked_indices(el, i, 'sensedIn')
                                 if issubclass(o.cls, CompartmentBase)]
        return src

    @classmethod
    def _reinit(cls, el):
        from ..core.clock import clock
        dt = clock.dts[el.tick] if el.tick >= 0 else 0.0
        c = el.cols
        for i in range(el.num):
            comps = [(o, j) for o, j, p in linked_indices(el, i, 'currentOut')
                     if issubclass(o.cls, CompartmentBase)]
            if c['td'][i] < 0:
                c['td'][i] = 0.0        # MOOSE: a negative td reads 0 after reinit
            st = {'ti': c['ti'][i] or dt, 'td': c['td'][i],
                  'tau': c['tau'][i] or 5 * dt, 'kp': c['gain'][i],
                  'e1': 0.0, 'e2': 0.0, 'v1': 0.0, 'cmd': 0.0, 'cmd_in_old': 0.0}
            if comps:
                o, j = comps[0]
                if st['kp'] == 0 and dt > 0:
                    st['kp'] = o.cols['Cm'][j] / dt
                st['cmd'] = st['cmd_in_old'] = o.cols['initVm'][j]
            c['_st'][i] = st
            c['current'][i] = 0.0
            c['sensed'][i] = 0.0

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        for i in range(el.num):
            st = c['_st'][i]
            if st is None:
                cls._reinit(el)
                st = c['_st'][i]
            for o, j in cls._sensed_sources(el, i):
                c['sensed'][i] = o.cols['Vm'][j]
            v = c['sensed'][i]
            cmd_in = c['command'][i]
            # low-pass filter of the (linearly ramped) command input
            tau = st['tau']
            x = math.exp(-dt / tau)
            d = cmd_in - st['cmd_in_old']
            r = tau / dt
            st['cmd'] = cmd_in + d * (1 - r) + (st['cmd'] - cmd_in + d * r) * x
            st['cmd_in_old'] = cmd_in
            e = st['cmd'] - v
            a, b = dt / st['ti'], st['td'] / dt
            kp = st['kp']
            m = int(c['mode'][i])
            if m == 0:
                c['current'][i] += kp * ((1 + a + b) * e - (1 + 2 * b) * st['e1'] + b * st['e2'])
                st['e2'], st['e1'] = st['e1'], e
            elif m == 1:
                c['current'][i] += kp * ((1 + a) * e - st['e1'] + b * (v - 2 * st['v1'] +
                                                                      st['e2']))
                st['e2'], st['v1'], st['e1'] = st['v1'], v, e
            else:
                c['current'][i] += kp * (v - st['v1'] + a * e + b * (v - 2 * st['v1'] +
                                                                     st['e2']))
                st['e2'], st['v1'] = st['v1'], v
        send_values(el, 'currentOut', c['current'])


__all__ = ['PulseGen', 'VClamp', 'pulse_value']
