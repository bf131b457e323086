"""Bench electronics for clamp circuits: ``DiffAmp`` (difference amplifier),
``RC`` (a low-pass RC filter) and ``PIDController`` (a PID feedback
controller), as in MOOSE's ``device`` library (squid demo's clamp
circuit: PulseGen -> RC -> DiffAmp -> PIDController -> Compartment).

What this module owns: their per-step update on their tick (DiffAmp and
PIDController on tick 0, RC on tick 2, MOOSE's defaults) and the value each
sends on ``output`` every step (and 0, or RC's V0, at reinit).  Inputs
arriving by message are used at the next step of the object, as in MOOSE:
DiffAmp's plusIn/minusIn and RC's injectIn are summed over a step and
cleared after it; PIDController's commandIn/sensedIn set a value that is
kept.  They are stepped in Python (never inside an HSolve); wired to a
solved compartment they read its Vm from the solver (``VmOut``) and their
current enters its next step through ``injectMsg``.

Units: whatever the signal carries (V, A, ...); RC takes a current [A]
and holds a voltage [V] (R in ohm, C in F).
"""

import math
import sys

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError
from ..core.fields import Field, Src, Dest
from ..core.msg import links
from .compartment import CompartmentBase, deliver, send_values

_BIG = sys.float_info.max


def reinit_vm_inputs(el, ports):
    """MOOSE's compartments send Vm (= initVm) on ``VmOut`` at their reinit;
    an object on an earlier tick gets it after its own reinit and uses it in
    its first step.  moosepy's compartments do not send at reinit, so deliver
    initVm here to *ports* of *el* fed by such a compartment on a later tick
    (a source class that does send sets ``_sends_vm_at_reinit``)."""
    for port in ports:
        for other, oport, m, fwd in links(el, port):
            if (fwd or oport != 'VmOut' or not issubclass(other.cls, CompartmentBase)
                    or getattr(other.cls, '_sends_vm_at_reinit', False)
                    or other.tick <= el.tick):
                continue
            a, b = m.pairs()
            for i, j in zip(np.asarray(a).tolist(), np.asarray(b).tolist()):
                deliver(el, j, port, float(other.cols['initVm'][i]))


def _tick_dt(el):
    from ..core.clock import clock
    return float(clock.dts[el.tick]) if el.tick >= 0 else 0.0


class DiffAmp(Neutral):
    """Difference amplifier: ``output = gain·(sum of plusIn - sum of
    minusIn)`` over the last step, clipped to [-saturation, saturation]."""

    default_tick = 0

    gain = Field(1.0, '', 'Gain (unit: output per input)')
    saturation = Field(_BIG, '', 'Bound on |output| (> 0)')
    outputValue = Field(0.0, '', 'Output of the last step', ro=True)
    _plus = Field(0.0, '', hidden=True)
    _minus = Field(0.0, '', hidden=True)

    ports = (Src('output', 'double', 'Sends the output every step'),
             Dest('gainIn', 'double', 'Sets gain'),
             Dest('plusIn', 'double', 'Adds to the positive input of this step'),
             Dest('minusIn', 'double', 'Adds to the negative input of this step'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _set_gain(self, v):
        if not math.isfinite(v):
            raise FieldError(f'{self.path} (DiffAmp).gain: expected a finite value, got {v}')
        self._el.cols['gain'][self._idx] = v

    def _set_saturation(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} (DiffAmp).saturation: expected a value > 0, '
                             f'got {v}')
        self._el.cols['saturation'][self._idx] = v

    def _recv_gainIn(self, v):
        self.gain = v

    def _recv_plusIn(self, v):
        self._el.cols['_plus'][self._idx] += v

    def _recv_minusIn(self, v):
        self._el.cols['_minus'][self._idx] += v

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        for k in ('outputValue', '_plus', '_minus'):
            c[k][:] = 0.0
        send_values(el, 'output', c['outputValue'])
        reinit_vm_inputs(el, ('plusIn', 'minusIn', 'gainIn'))

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        out = c['gain'] * (c['_plus'] - c['_minus'])
        c['_plus'][:] = 0.0
        c['_minus'][:] = 0.0
        c['outputValue'][:] = np.clip(out, -c['saturation'], c['saturation'])
        send_values(el, 'output', c['outputValue'])


class RC(Neutral):
    """RC circuit: a resistance R [ohm] shunted by a capacitance C [F],
    driven by a current I = inject + injectIn [A]:
    ``C dV/dt = I - V/R``.  Each step is exact for the step's current:
    ``V <- V e^{-dt/RC} + R I (1 - e^{-dt/RC})``; ``state`` is V [V],
    V0 at reinit; ``output`` sends it every step."""

    default_tick = 2

    V0 = Field(0.0, 'V', 'Initial voltage (state at reinit)')
    R = Field(1.0, 'ohm', 'Series resistance (> 0)')
    C = Field(1.0, 'F', 'Capacitance (> 0)')
    state = Field(0.0, 'V', 'Voltage across the capacitor', ro=True)
    inject = Field(0.0, 'A', 'Constant input current')
    _msg = Field(0.0, 'A', hidden=True)

    ports = (Src('output', 'double', 'Sends the state [V] every step'),
             Dest('injectIn', 'double', 'Adds a current [A] for this step'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _pos(name):
        def s(self, v):
            if not (math.isfinite(v) and v > 0):
                raise FieldError(f'{self.path} (RC).{name}: expected a finite value > 0, '
                                 f'got {v}')
            self._el.cols[name][self._idx] = v
        return s

    _set_R = _pos('R')
    _set_C = _pos('C')
    del _pos

    def _recv_injectIn(self, v):
        self._el.cols['_msg'][self._idx] += v

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        c['state'][:] = c['V0']
        c['_msg'][:] = 0.0
        send_values(el, 'output', c['state'])
        reinit_vm_inputs(el, ('injectIn',))

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        x = np.exp(-dt / (c['R'] * c['C']))
        c['state'][:] = c['state'] * x + c['R'] * (c['inject'] + c['_msg']) * (1.0 - x)
        c['_msg'][:] = 0.0
        send_values(el, 'output', c['state'])


class PIDController(Neutral):
    """PID feedback controller: ``output = gain·(e + (integral of e)/tauI +
    tauD de/dt)``, ``e = command - sensed``.  Per step: the integral grows by
    the trapezoid ``dt (e + e_previous)/2``, the derivative is
    ``(e - e_previous)/dt``; an output beyond ±saturation is clipped and that
    step's integral growth undone (anti-windup).  At reinit tauI <= 0
    becomes dt and tauD < 0 becomes dt/4 (MOOSE's typical values; the field
    then reads them); sensed, error, integral and output restart at 0."""

    default_tick = 0

    gain = Field(1.0, '', 'Proportional gain Kp (output per unit of error)')
    saturation = Field(_BIG, '', 'Bound on |output| (> 0)')
    command = Field(0.0, '', 'Command (set point) of the sensed value')
    sensed = Field(0.0, '', 'Sensed value (process variable)', ro=True)
    tauI = Field(0.0, 's', 'Integration time Kp/Ki (<= 0: dt at reinit)')
    tauD = Field(0.0, 's', 'Derivative time Kd/Kp (< 0: dt/4 at reinit)')
    outputValue = Field(0.0, '', 'Output of the last step', ro=True)
    error = Field(0.0, '', 'command - sensed at the last step', ro=True)
    integral = Field(0.0, 's', 'Integral of the error', ro=True)
    derivative = Field(0.0, '1/s', 'Time derivative of the error', ro=True)
    e_previous = Field(0.0, '', 'Error of the step before', ro=True)

    ports = (Src('output', 'double', 'Sends the output every step'),
             Dest('commandIn', 'double', 'Sets command'),
             Dest('sensedIn', 'double', 'Sets sensed'),
             Dest('gainDest', 'double', 'Sets gain'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    def _set_saturation(self, v):
        if not v > 0:
            raise FieldError(f'{self.path} (PIDController).saturation: expected a value > 0, '
                             f'got {v}')
        self._el.cols['saturation'][self._idx] = v

    def _recv_commandIn(self, v):
        self._el.cols['command'][self._idx] = v

    def _recv_sensedIn(self, v):
        self._el.cols['sensed'][self._idx] = v

    def _recv_gainDest(self, v):
        self._el.cols['gain'][self._idx] = v

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        dt = _tick_dt(el)
        c['tauI'][:] = np.where(c['tauI'] <= 0, dt, c['tauI'])
        c['tauD'][:] = np.where(c['tauD'] < 0, dt / 4, c['tauD'])
        for k in ('sensed', 'outputValue', 'error', 'e_previous', 'integral', 'derivative'):
            c[k][:] = 0.0
        send_values(el, 'output', c['outputValue'])
        reinit_vm_inputs(el, ('sensedIn', 'commandIn', 'gainDest'))

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        c['e_previous'][:] = c['error']
        e = c['error']
        e[:] = c['command'] - c['sensed']
        grow = 0.5 * (e + c['e_previous']) * dt
        c['integral'] += grow
        c['derivative'][:] = (e - c['e_previous']) / dt
        with np.errstate(divide='ignore', invalid='ignore'):
            out = c['gain'] * (e + c['integral'] / c['tauI'] + c['derivative'] * c['tauD'])
        sat = c['saturation']
        clipped = (out > sat) | (out < -sat)
        c['integral'] -= np.where(clipped, grow, 0.0)
        c['outputValue'][:] = np.clip(out, -sat, sat)
        send_values(el, 'output', c['outputValue'])


__all__ = ['DiffAmp', 'RC', 'PIDController']
