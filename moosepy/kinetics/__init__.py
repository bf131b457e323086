"""Chemical kinetics: pools, reactions, enzymes, functions, meshes, Stoich
and the deterministic solver Ksolve."""
