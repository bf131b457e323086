"""Physical constants and the one place where molecule counts meet concentration.

Units are SI throughout, except concentration, which is in mM (= mol/m^3) as
in MOOSE.  ``n = conc * volume * NA``.
"""

NA = 6.02214076e23          #: Avogadro's number [1/mol]
FaradayConst = 96485.33212  #: Faraday's constant [C/mol]
GasConst = 8.314462618      #: molar gas constant [J/(K mol)]
PI = 3.141592653589793


def conc_to_n(conc, volume):
    """Molecule count from concentration [mM] in a volume [m^3]."""
    return conc * (NA * volume)


def n_to_conc(n, volume):
    """Concentration [mM] from a molecule count in a volume [m^3]."""
    return n / (NA * volume)


def rate_conc_to_num(k, order, volume):
    """Per-molecule rate constant from a concentration-unit one.

    ``k`` is in (1/mM)^(order-1)/s; the result is in 1/((#)^(order-1) s).
    """
    if order <= 1:
        return k
    return k * (NA * volume) ** (1 - order)


def rate_num_to_conc(k, order, volume):
    """Inverse of :func:`rate_conc_to_num`."""
    if order <= 1:
        return k
    return k * (NA * volume) ** (order - 1)
