"""Stochastic chemistry: ``Gsolve`` (exact Gillespie SSA and tau-leaping on
the model a Stoich compiles), seeded random streams and ensembles of
trajectories (:mod:`moosepy.stochastic.ensemble`).

Numba is imported only when a Gsolve is reinitialised, so ``import moosepy``
stays fast.
"""
