"""The squid Hodgkin-Huxley rate tables the electrical benchmarks share
(moosepy and the MOOSE side scripts alike; numpy only, so pymoose's venv can
import it): NEURON's ``hh`` at 6.3 degC with exact rates, tabulated as
MOOSE's HHGate wants them (tableA = alpha, tableB = alpha + beta, 1/s) on
3001 points over -0.1 .. 0.05 V."""

import numpy as np

VMIN, VMAX, NPTS = -0.1, 0.05, 3001


def hh_tables():
    """{'m': (A, B), 'h': (A, B), 'n': (A, B)} in 1/s over VMIN..VMAX."""
    vm = np.linspace(VMIN, VMAX, NPTS) * 1e3
    with np.errstate(all='ignore'):
        am = np.where(np.abs(vm + 40) < 1e-6, 1.0, 0.1 * (vm + 40) / (1 - np.exp(-(vm + 40) / 10)))
        an = np.where(np.abs(vm + 55) < 1e-6, 0.1,
                      0.01 * (vm + 55) / (1 - np.exp(-(vm + 55) / 10)))
    bm = 4 * np.exp(-(vm + 65) / 18)
    ah = 0.07 * np.exp(-(vm + 65) / 20)
    bh = 1 / (1 + np.exp(-(vm + 35) / 10))
    bn = 0.125 * np.exp(-(vm + 65) / 80)
    return {'m': (am * 1e3, (am + bm) * 1e3), 'h': (ah * 1e3, (ah + bh) * 1e3),
            'n': (an * 1e3, (an + bn) * 1e3)}
