"""Integrate-and-fire neurons beyond ``IntFire``/``LIF``: ``IntFireBase``,
``ExIF``, ``AdExIF``, ``AdThreshIF``, ``QIF``, ``IzhIF`` (compartments that
fire) and ``IzhikevichNrn`` (MOOSE's stand-alone Izhikevich neuron).

What this module owns: the per-step update of these neurons on their tick
(2, as MOOSE), their spikes (``spikeOut``, sent as the time of the step) and
``VmOut``.  ``IntFire`` and ``LIF`` live in :mod:`.synapse`.

Stepping, as MOOSE 5.0 (measured with pymoose; tests/electrical/
test_intfire_family.py compares traces):

* Every step of an ``IntFireBase`` neuron first checks the refractory
  period: while ``t < lastEventTime + refractoryPeriod`` Vm is held at
  ``vReset`` (injected and channel currents of the step are dropped; the
  activation keeps summing, and the whole sum is added on the first step
  after the period: an event 2 ms before its end acts as if it came at the
  end).  Otherwise ``activation·dt``
  is added to Vm (a delta synapse of weight w adds w), then the spike test
  runs on that Vm; a spike sets Vm to ``vReset``, records the time and sends
  it.  Without a spike the neuron integrates over the step.
* ``ExIF``, ``AdExIF`` and ``AdThreshIF`` add their extra term by one
  explicit (forward Euler) step, then advance the leak, injected currents and
  channels by the compartment's exponential Euler (exact for constant
  inputs).  ``QIF`` and ``IzhIF`` take one forward Euler step of their whole
  equation (first order in dt).
* Units are SI: ``IzhIF``'s a0 [1/(V s)], b0 [1/s], c0 [V/s] default to
  Izhikevich's 0.04/mV/ms, 5/ms, 140 mV/ms.

Deviations from MOOSE 5.0.0 (each measured with pymoose; MOOSE's own
code clears the other inputs of such steps, so these read as omissions):

* The injected current and channel sums of a step that ends in a spike are
  dropped with it.  MOOSE carries them into the next step when that step is
  not refractory (refractoryPeriod below one dt), so the step after a spike
  counts them twice (IzhIF with refractoryPeriod 0: 2x inject for a step).
* ``QIF`` and ``IzhIF`` ignore their channels in MOOSE (the channel
  messages add to sums their update never reads: a 10 nS leak to 0 V leaves
  them at rest).  moosepy adds the channel current ``sum Gk (Ek - Vm)`` to
  their equation, as for every other compartment.
* ``ExIF``/``AdExIF`` with ``deltaThresh = 0`` (the default) evaluate
  ``0·exp(+inf)`` = NaN in MOOSE once Vm passes ``thresh``; moosepy drops
  the exponential term when deltaThresh is 0 (the neuron is then an LIF
  that fires at ``vPeak``).

The refractory test is MOOSE's, ``t < lastEventTime + refractoryPeriod``
with no tolerance, so a period that is a whole number of steps lasts that
number of steps or one more, as the rounding of the times falls (as in
MOOSE, and as moosepy's LIF).  With it, MOOSE's
IntegrateFireZoo example gives pymoose's Vm and spike times to rounding for
every class here, and so do the traces of
tests/electrical/test_intfire_family.py.

These neurons are stepped in Python on their tick, never by an HSolve:
axial messages to them are refused at reinit, and an HSolve whose target
is one of them raises SolverError at the first step.
"""

import math

import numpy as np

from ..core.element import Neutral
from ..core.errors import FieldError, MooseError, SolverError
from ..core.fields import Field, Src, Dest, Shared
from ..core.msg import links
from .compartment import Compartment, CompartmentBase, AXIAL_PORTS, send_values
from .synapse import emit_spikes


def _positive(cls_name, name, unit):
    def s(self, v):
        if not (math.isfinite(v) and v > 0):
            raise FieldError(f'{self.path} ({cls_name}).{name}: expected a finite value > 0 '
                             f'{unit}, got {v}')
        self._el.cols[name][self._idx] = v
    return s


def _finite(cls_name, name, unit):
    def s(self, v):
        if not math.isfinite(v):
            raise FieldError(f'{self.path} ({cls_name}).{name}: expected a finite value '
                             f'[{unit}], got {v}')
        self._el.cols[name][self._idx] = v
    return s


# ============================================================= IntFireBase
class IntFireBase(Compartment):
    """Base of integrate-and-fire compartments: a membrane patch (Vm, Em, Rm,
    Cm, inject, channels) that sends a spike and resets to ``vReset`` when
    its test fires, then stays at vReset for ``refractoryPeriod``.
    Subclasses say what fires and how Vm moves between spikes; an
    IntFireBase made directly fires at Vm > thresh and integrates the
    membrane by exponential Euler, as LIF (MOOSE 5.0.0 crashes on reading a
    field of one)."""

    default_tick = 2
    _sends_vm_at_reinit = True

    thresh = Field(0.0, 'V', 'Firing threshold')
    vReset = Field(0.0, 'V', 'Potential after a spike')
    refractoryPeriod = Field(0.0, 's', 'Time held at vReset after a spike (>= 0)')
    lastEventTime = Field(0.0, 's', 'Time of the last spike', ro=True)
    hasFired = Field(False, '', 'True if the neuron fired on the last step', type='bool',
                     ro=True)
    _act = Field(0.0, 'V/s', hidden=True)

    ports = (Dest('activation', 'double', 'Adds activation·dt to Vm [V/s] (a delta synapse '
                  'of weight w adds w [V])'),
             Src('spikeOut', 'double', 'Sends the spike time [s]'))

    def _set_refractoryPeriod(self, v):
        if not (math.isfinite(v) and v >= 0):
            raise FieldError(f'{self.path} ({self.className}).refractoryPeriod: expected a '
                             f'finite value >= 0 s, got {v}')
        self._el.cols['refractoryPeriod'][self._idx] = v

    def _recv_activation(self, v):
        self._el.cols['_act'][self._idx] += v

    @classmethod
    def _batch_role(cls, el):
        return 'python'

    @classmethod
    def _reinit(cls, el):
        for port in AXIAL_PORTS:
            for other, oport, m, fwd in links(el, port):
                if issubclass(other.cls, CompartmentBase):
                    raise MooseError(f'{el.path} ({el.cls.__name__}): axial messages '
                                     f'({port} with {other.path}) to integrate-and-fire '
                                     f'neurons are not supported by moosepy')
        super()._reinit(el)
        c = el.cols
        c['_act'][:] = 0.0
        c['lastEventTime'][:] = -c['refractoryPeriod']
        c['hasFired'][:] = False
        el.data.pop('_targets', None)
        cls._reset_state(el)
        send_values(el, 'VmOut', c['Vm'])      # as MOOSE's compartments

    @classmethod
    def _reset_state(cls, el):
        """Reinit of the subclass's own state variables."""

    @classmethod
    def _fires(cls, el, V):
        return V > el.cols['thresh']

    @classmethod
    def _on_fire(cls, el, idx):
        """Jumps of the subclass's state variables at a spike of entries idx."""

    @classmethod
    def _sums(cls, el):
        """Current sources A [A] and conductances B [S] of the step (leak,
        injected currents, channels)."""
        c = el.cols
        A = c['_chA'] + c['inject'] + c['_inj'] + c['Em'] / c['Rm']
        B = c['_chB'] + 1.0 / c['Rm']
        return A, B

    @classmethod
    def _exp_euler(cls, el, V, dt):
        """The compartment's exponential Euler step from *V*."""
        A, B = cls._sums(el)
        x = np.exp(-B * dt / el.cols['Cm'])
        return V * x + (A / B) * (1.0 - x)

    @classmethod
    def _integrate(cls, el, V, dt, live):
        """New Vm of every entry after a step without a spike (state
        variables of entries where *live* advance too).  LIF: exp Euler."""
        return cls._exp_euler(el, V, dt)

    @classmethod
    def _process(cls, el, t, dt):
        hs = el.data.get('hsolve')
        if hs is not None:
            raise SolverError(f'{el.path} ({el.cls.__name__}): the HSolve {hs.path} took this '
                              f'integrate-and-fire neuron as a compartment; HSolve cannot '
                              f'step these neurons (target a cell of Compartments)')
        c = el.cols
        V = c['Vm']
        # MOOSE's test, without tolerance (see the module docstring)
        refr = t < c['lastEventTime'] + c['refractoryPeriod']
        # activation arriving in the refractory period is kept for the
        # first step out of it, as MOOSE
        V += np.where(refr, 0.0, c['_act'] * dt)
        c['_act'][:] = np.where(refr, c['_act'], 0.0)
        fire = ~refr & cls._fires(el, V)
        live = ~(refr | fire)
        vold = V.copy()
        with np.errstate(over='ignore', invalid='ignore'):
            vnew = cls._integrate(el, V, dt, live)
        V[:] = np.where(live, vnew, c['vReset'])
        c['Im'][:] = np.where(live, c['Cm'] * (V - vold) / dt, 0.0) if dt > 0 else 0.0
        for k in ('_chA', '_chB', '_inj'):
            c[k][:] = 0.0
        c['hasFired'][:] = fire
        if fire.any():
            idx = np.nonzero(fire)[0]
            c['lastEventTime'][idx] = t
            cls._on_fire(el, idx)
            emit_spikes(el, 'spikeOut', idx, t)
        send_values(el, 'VmOut', V)


# ==================================================================== ExIF
def _exp_term(el, V):
    """deltaThresh·exp((Vm - thresh)/deltaThresh) [V]; 0 where deltaThresh is 0."""
    c = el.cols
    d = c['deltaThresh']
    safe = np.where(d > 0, d, 1.0)
    return np.where(d > 0, d * np.exp((V - c['thresh']) / safe), 0.0)


class ExIF(IntFireBase):
    """Exponential integrate-and-fire neuron:
    ``Rm Cm dVm/dt = -(Vm - Em) + deltaThresh·exp((Vm - thresh)/deltaThresh)
    + Rm I``; a spike when Vm >= ``vPeak``, then Vm = vReset."""

    deltaThresh = Field(0.0, 'V', 'Sharpness of the exponential spike onset (>= 0; 0: no '
                        'exponential term)')
    vPeak = Field(0.0, 'V', 'Vm at which a spike is registered and Vm reset')

    def _set_deltaThresh(self, v):
        if not (math.isfinite(v) and v >= 0):
            raise FieldError(f'{self.path} ({self.className}).deltaThresh: expected a '
                             f'finite value >= 0 V, got {v}')
        self._el.cols['deltaThresh'][self._idx] = v

    @classmethod
    def _fires(cls, el, V):
        return V >= el.cols['vPeak']

    @classmethod
    def _integrate(cls, el, V, dt, live):
        c = el.cols
        v1 = V + _exp_term(el, V) * dt / (c['Rm'] * c['Cm'])
        return cls._exp_euler(el, v1, dt)


class AdExIF(ExIF):
    """Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005):
    ``Rm Cm dVm/dt = -(Vm - Em) + deltaThresh·exp((Vm - thresh)/deltaThresh)
    - Rm w + Rm I``, ``tauW dw/dt = a0 (Vm - Em) - w``; at a spike Vm =
    vReset and ``w += b0``."""

    w = Field(0.0, 'A', 'Adaptation current (0 at reinit)')
    tauW = Field(1.0, 's', 'Time constant of the adaptation current (> 0)')
    a0 = Field(0.0, 'S', 'Subthreshold adaptation conductance')
    b0 = Field(0.0, 'A', 'Jump of w at each spike')

    _set_tauW = _positive('AdExIF', 'tauW', 's')

    @classmethod
    def _reset_state(cls, el):
        el.cols['w'][:] = 0.0

    @classmethod
    def _on_fire(cls, el, idx):
        el.cols['w'][idx] += el.cols['b0'][idx]

    @classmethod
    def _integrate(cls, el, V, dt, live):
        c = el.cols
        w = c['w']
        v1 = V + (_exp_term(el, V) - c['Rm'] * w) * dt / (c['Rm'] * c['Cm'])
        # w steps with the Vm after the explicit part, as MOOSE
        w[:] = np.where(live, w + (c['a0'] * (v1 - c['Em']) - w) * dt / c['tauW'], w)
        return cls._exp_euler(el, v1, dt)


class AdThreshIF(IntFireBase):
    """Integrate-and-fire neuron with an adaptive threshold (Rossant et al.
    2010): ``Rm Cm dVm/dt = -(Vm - Em) + Rm I``; it fires when Vm > thresh +
    threshAdaptive, with ``tauThresh d threshAdaptive/dt = a0 (Vm - Em) -
    threshAdaptive`` and ``threshAdaptive += threshJump`` at each spike."""

    threshAdaptive = Field(0.0, 'V', 'Adaptive part of the threshold (0 at reinit)')
    tauThresh = Field(1.0, 's', 'Time constant of the adaptive threshold (> 0)')
    a0 = Field(0.0, '', 'Coupling of the threshold to Vm - Em (dimensionless)')
    threshJump = Field(0.0, 'V', 'Jump of threshAdaptive at each spike')

    _set_tauThresh = _positive('AdThreshIF', 'tauThresh', 's')

    @classmethod
    def _reset_state(cls, el):
        el.cols['threshAdaptive'][:] = 0.0

    @classmethod
    def _fires(cls, el, V):
        c = el.cols
        return V > c['thresh'] + c['threshAdaptive']

    @classmethod
    def _on_fire(cls, el, idx):
        el.cols['threshAdaptive'][idx] += el.cols['threshJump'][idx]

    @classmethod
    def _integrate(cls, el, V, dt, live):
        c = el.cols
        th = c['threshAdaptive']
        th[:] = np.where(live, th + (c['a0'] * (V - c['Em']) - th) * dt / c['tauThresh'], th)
        return cls._exp_euler(el, V, dt)


def _channel_current(el, V):
    c = el.cols
    return c['_chA'] - c['_chB'] * V


class QIF(IntFireBase):
    """Quadratic integrate-and-fire neuron (Gerstner & Kistler):
    ``Rm Cm dVm/dt = a0 (Vm - Em)(Vm - vCritical) + Rm I``; a spike when
    Vm > ``thresh`` (the spike peak), then Vm = vReset.  Forward Euler, as
    MOOSE; I includes the channel current (MOOSE drops it, see the module
    docstring)."""

    vCritical = Field(0.0, 'V', 'Vm above which Vm runs away to a spike')
    a0 = Field(0.0, '1/V', 'Factor of the quadratic term')

    @classmethod
    def _integrate(cls, el, V, dt, live):
        c = el.cols
        i = c['inject'] + c['_inj'] + _channel_current(el, V)
        return V + (i + c['a0'] * (V - c['Em']) * (V - c['vCritical']) / c['Rm']) * dt / c['Cm']


class IzhIF(IntFireBase):
    """Izhikevich neuron as an integrate-and-fire compartment:
    ``dVm/dt = a0 Vm^2 + b0 Vm + c0 - u + I/Cm``, ``du/dt = a (b Vm - u)``;
    when Vm > ``vPeak``, Vm = vReset and ``u += d``.  Forward Euler (u steps
    with the new Vm), as MOOSE; I includes the channel current (MOOSE drops
    it, see the module docstring).  Rm and Em are not used."""

    a0 = Field(0.04e6, '1/(V s)', 'Factor of Vm^2')
    b0 = Field(5e3, '1/s', 'Factor of Vm')
    c0 = Field(140.0, 'V/s', 'Constant term')
    a = Field(0.0, '1/s', 'Rate of the recovery variable u')
    b = Field(0.0, '1/s', 'Sensitivity of u to Vm')
    d = Field(0.0, 'V/s', 'Jump of u at each spike')
    u = Field(0.0, 'V/s', 'Recovery variable')
    uInit = Field(0.0, 'V/s', 'u given at reinit')
    vPeak = Field(0.0, 'V', 'Vm above which a spike is registered and Vm reset')

    @classmethod
    def _reset_state(cls, el):
        el.cols['u'][:] = el.cols['uInit']

    @classmethod
    def _fires(cls, el, V):
        return V > el.cols['vPeak']

    @classmethod
    def _on_fire(cls, el, idx):
        el.cols['u'][idx] += el.cols['d'][idx]

    @classmethod
    def _integrate(cls, el, V, dt, live):
        c = el.cols
        u = c['u']
        i = c['inject'] + c['_inj'] + _channel_current(el, V)
        v1 = V + (i / c['Cm'] + c['a0'] * V * V + c['b0'] * V + c['c0'] - u) * dt
        u[:] = np.where(live, u + c['a'] * (c['b'] * v1 - u) * dt, u)
        return v1


# ============================================================ IzhikevichNrn
class IzhikevichNrn(Neutral):
    """Izhikevich's simple spiking neuron (Izhikevich 2003):
    ``dVm/dt = alpha Vm^2 + beta Vm + gamma - u + RmByTau I``,
    ``du/dt = a (b Vm - u)`` (``accommodating``: ``du/dt = a b (Vm - u0)``);
    when Vm >= ``Vmax``: Vm = c, u += d, and a spike is sent.

    Defaults are Izhikevich's in SI units (alpha 0.04/mV/ms = 4e4 /(V s),
    beta 5e3 /s, gamma 140 V/s, a 20 /s, b 200 /s, c -65 mV, d 2 V/s); the
    classic scripts that set mV/ms values work in those units instead.
    Stepped as MOOSE: forward Euler of Vm, then of u with the new Vm; the
    current I is the channel current ``sum Gk (Ek - Vm)`` plus ``inject``
    (``injectMsg`` sets inject; inject enters from the second step on, as
    MOOSE); on a spike step Vm reads Vmax (VmOut sends Vmax) while the next
    step starts from c.

    Channels join through ``channel`` (e.g. a SynChan): they read this Vm
    and their Gk, Ek enter the next step.  (Setting ``Vm`` sets the value
    read back too; MOOSE keeps returning the last step's value.)"""

    default_tick = 2
    _sends_vm_at_reinit = True

    Vm = Field(-0.065, 'V', 'Membrane potential (Vmax on a spike step)')
    u = Field(-13.0, 'V/s', 'Recovery variable', ro=True)
    Im = Field(0.0, 'A', 'Current of the last step (channels and inject)', ro=True)
    inject = Field(0.0, 'A', 'Injected current (set by injectMsg)')
    Vmax = Field(0.03, 'V', 'Spike peak: Vm >= Vmax fires')
    a = Field(20.0, '1/s', 'Rate of the recovery variable u')
    b = Field(200.0, '1/s', 'Sensitivity of u to Vm')
    c = Field(-0.065, 'V', 'Vm after a spike')
    d = Field(2.0, 'V/s', 'Jump of u at a spike')
    alpha = Field(40000.0, '1/(V s)', 'Factor of Vm^2')
    beta = Field(5000.0, '1/s', 'Factor of Vm')
    gamma = Field(140.0, 'V/s', 'Constant term')
    RmByTau = Field(1e6, 'V/(A s)', 'Factor turning the current into dVm/dt')
    accommodating = Field(False, '', 'Use du/dt = a b (Vm - u0) (accommodation)',
                          type='bool')
    u0 = Field(-0.065, 'V', 'Resting Vm of the accommodating u equation')
    initVm = Field(-0.065, 'V', 'Vm given at reinit')
    initU = Field(-13.0, 'V/s', 'u given at reinit')
    _V = Field(-0.065, 'V', hidden=True)        # Vm the next step starts from
    _sum = Field(0.0, 'A', hidden=True)         # current of the next step

    ports = (Shared('channel', 'channel', 'compartment',
                    'Joins a channel (Vm to the channel; Gk, Ek back)'),
             Src('VmOut', 'double', 'Sends Vm [V] every step'),
             Src('spikeOut', 'double', 'Sends the spike time [s]'),
             Dest('injectMsg', 'double', 'Sets inject [A]'),
             Dest('handleChannel', 'double2', 'Receives Gk [S] and Ek [V] (part of channel)'),
             Dest('aDest', 'double', 'Sets a'),
             Dest('bDest', 'double', 'Sets b'),
             Dest('cDest', 'double', 'Sets c'),
             Dest('dDest', 'double', 'Sets d'),
             Dest('process', 'proc', 'Handles a clock tick'),
             Dest('reinit', 'proc', 'Handles reinit'))

    for _n in ('Vmax', 'a', 'b', 'c', 'd', 'alpha', 'beta', 'gamma', 'RmByTau', 'u0',
               'initVm', 'initU', 'inject'):
        locals()['_set_' + _n] = _finite('IzhikevichNrn', _n, '')
    del _n

    def _set_Vm(self, v):
        if not math.isfinite(v):
            raise FieldError(f'{self.path} (IzhikevichNrn).Vm: expected a finite value [V], '
                             f'got {v}')
        self._el.cols['Vm'][self._idx] = v
        self._el.cols['_V'][self._idx] = v

    def _recv_injectMsg(self, v):
        self._el.cols['inject'][self._idx] = v

    def _recv_handleChannel(self, v):
        gk, ek = v
        c, i = self._el.cols, self._idx
        c['_sum'][i] += gk * (ek - c['_V'][i])

    def _recv_aDest(self, v):
        self.a = v

    def _recv_bDest(self, v):
        self.b = v

    def _recv_cDest(self, v):
        self.c = v

    def _recv_dDest(self, v):
        self.d = v

    @staticmethod
    def _channels(el):
        """(channel element, my indices, its indices) joined by 'channel'."""
        from .channels import ChanBase
        out = []
        for other, oport, m, fwd in links(el, 'channel'):
            if not issubclass(other.cls, ChanBase):
                continue
            a, b = m.pairs()
            mine, theirs = (a, b) if fwd else (b, a)
            out.append((other, np.asarray(mine, dtype=np.int64),
                        np.asarray(theirs, dtype=np.int64)))
        return out

    @classmethod
    def _push_vm(cls, el, V):
        # what MOOSE's channel message carries to the channel: VmOut (Vmax
        # on a spike step)
        for ch, mine, theirs in el.data['chans']:
            ch.cols['_Vm'][theirs] = V[mine]

    @classmethod
    def _pull_channels(cls, el):
        # the Gk, Ek the channels sent after this neuron's last step, taken
        # at the internal Vm (as MOOSE's handleChannel)
        s = el.cols['_sum']
        V = el.cols['_V']
        for ch, mine, theirs in el.data['chans']:
            np.add.at(s, mine, ch.cols['Gk'][theirs] * (ch.cols['Ek'][theirs] - V[mine]))

    @classmethod
    def _batch_role(cls, el):
        return 'python'

    @classmethod
    def _reinit(cls, el):
        c = el.cols
        c['_sum'][:] = 0.0
        c['_V'][:] = c['initVm']
        c['Vm'][:] = c['initVm']
        c['u'][:] = c['initU']
        c['Im'][:] = 0.0
        el.data.pop('_targets', None)
        el.data['chans'] = cls._channels(el)
        cls._push_vm(el, c['_V'])
        send_values(el, 'VmOut', c['Vm'])

    @classmethod
    def _process(cls, el, t, dt):
        c = el.cols
        if 'chans' not in el.data:
            cls._reinit(el)
        cls._pull_channels(el)
        V, u = c['_V'], c['u']
        V += dt * ((c['alpha'] * V + c['beta']) * V + c['gamma'] - u + c['RmByTau'] * c['_sum'])
        u[:] = np.where(c['accommodating'], u + dt * c['a'] * c['b'] * (V - c['u0']),
                        u + dt * c['a'] * (c['b'] * V - u))
        c['Im'][:] = c['_sum']
        c['_sum'][:] = c['inject']
        fire = V >= c['Vmax']
        c['Vm'][:] = np.where(fire, c['Vmax'], V)
        if fire.any():
            idx = np.nonzero(fire)[0]
            V[idx] = c['c'][idx]
            u[idx] += c['d'][idx]
        cls._push_vm(el, c['Vm'])
        send_values(el, 'VmOut', c['Vm'])
        if fire.any():
            emit_spikes(el, 'spikeOut', idx, t)


__all__ = ['IntFireBase', 'ExIF', 'AdExIF', 'AdThreshIF', 'QIF', 'IzhIF', 'IzhikevichNrn']
