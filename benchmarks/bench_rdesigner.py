"""rdesigner build and run times beside pymoose 5.0.0's rdesigneur, for
four tutorial-sized models (run from anywhere; pymoose from
../pymoose-venv when present).

1. squid soma (ex3.0): 1 compartment, HH Na/K, current pulse; run 0.3 s.
2. SWC cell h10.CNG (ex9.0): 202 compartments, ramp current; run 0.1 s.
3. spiny SWC cell (ex9.2): h10.CNG with 8 ChannelML channels and active
   spines every 20 um on the dendrites (305 spines, 812 compartments);
   run 0.01 s.
4. spiny chemical cell (ex13.1 scaled up): a ball-and-stick with a 1 mm
   dendrite, active spines every 1 um (1016 spines, 2133 compartments),
   the BCM kkit chemistry (bcm_cell.g) in the dendrite and in every spine
   (14 pools per spine) and a Ca adaptor per spine; run 0.01 s.  Issue 13
   item 6 asks for this kind of cell to build in under 2 s.

Prints, per model and simulator, over --repeat fresh processes taken in
turn: the build's CPU time (constructor + buildModel; min and max), its
wall time (min), the first run's wall time (min; a fresh process, so
moosepy's includes loading its kernels), and the number of compartments.
"""

import json
import os
import subprocess
import sys
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile

HERE = os.path.dirname(os.path.abspath(__file__))
TUT = os.path.join(HERE, '..', '..', 'shared', 'moose-examples', 'tutorials', 'Rdesigneur')
if not os.path.isdir(TUT):
    TUT = '/work/shared/moose-examples/tutorials/Rdesigneur'
PYMOOSE = next((p for p in (os.path.join(HERE, '..', '..', 'pymoose-venv', 'bin', 'python'),
                            '/work/pymoose-venv/bin/python') if os.path.exists(p)), None)

MODELS = {
    'squid soma (ex3.0)': (dict(
        chanProto=[['make_HH_Na()', 'Na'], ['make_HH_K()', 'K']],
        chanDistrib=[['Na', 'soma', 'Gbar', '1200'], ['K', 'soma', 'Gbar', '360']],
        stimList=[['soma', '1', '.', 'inject', '(t>0.1 && t<0.2) * 1e-8']],
        plotList=[['soma', '1', '.', 'Vm', 'Membrane potential']]), 0.3),
    'SWC cell h10 (ex9.0)': (dict(
        cellProto=[['./cells/h10.CNG.swc', 'elec']],
        stimList=[['soma', '1', '.', 'inject', 't * 25e-9']],
        plotList=[['#', '1', '.', 'Vm', 'Membrane potential']]), 0.1),
    'spiny SWC cell (ex9.2)': (dict(
        chanProto=[['./chans/hd.xml'], ['./chans/kap.xml'], ['./chans/kad.xml'],
                   ['./chans/kdr.xml'], ['./chans/na3.xml'], ['./chans/nax.xml'],
                   ['./chans/CaConc.xml'], ['./chans/Ca.xml']],
        cellProto=[['./cells/h10.CNG.swc', 'elec']],
        spineProto=[['makeActiveSpine()', 'spine']],
        chanDistrib=[['hd', '#dend#,#apical#', 'Gbar', '50e-2*(1+(p*3e4))'],
                     ['kdr', '#', 'Gbar', 'p < 50e-6 ? 500 : 100'],
                     ['na3', '#soma#,#dend#,#apical#', 'Gbar', '850'],
                     ['nax', '#soma#,#axon#', 'Gbar', '1250'],
                     ['kap', '#axon#,#soma#', 'Gbar', '300'],
                     ['kap', '#dend#,#apical#', 'Gbar', '300*(H(100-p*1e6)) * (1+(p*1e4))'],
                     ['Ca_conc', '#', 'tau', '0.0133'],
                     ['kad', '#soma#,#dend#,#apical#', 'Gbar', '50'],
                     ['Ca', '#', 'Gbar', '50']],
        spineDistrib=[['spine', '#dend#,#apical#', '20e-6', '1e-6']],
        stimList=[['soma', '1', '.', 'inject', '(t>0.02) * 1e-9']],
        plotList=[['soma', '1', '.', 'Vm', 'Membrane potential']]), 0.01),
    'spiny chem cell (1016 sp)': (dict(
        chemDt=0.002, chemPlotDt=0.02, diffusionLength=1e-6,
        cellProto=[['ballAndStick', 'soma', 10e-6, 10e-6, 2e-6, 1000e-6, 100]],
        spineProto=[['makeActiveSpine()', 'spine']],
        chemProto=[['./chem/bcm_cell.g', 'chem']],
        spineDistrib=[['spine', '#dend#', '1e-6', '0.1e-6']],
        chemDistrib=[['DEND', '#', 'dend', '1', 1e-6], ['SPINE', '#', 'spine', '1', 'DEND']],
        adaptorList=[['Ca_conc', 'Ca', 'SPINE/Ca_input', 'concInit', 0.00008, 8]],
        plotList=[['soma', '1', '.', 'Vm', 'Membrane potential']]), 0.01),
}

SCRIPT = r'''
import sys, json, time, os
os.chdir(sys.argv[2])
t0 = time.perf_counter()
if sys.argv[1] == 'moose':
    import moose, rdesigneur as rd
else:
    import moosepy as moose, moosepy.rdesigner as rd
t_import = time.perf_counter() - t0
kw = json.loads(sys.argv[3]); T = float(sys.argv[4])
moose.seed(1)
t0 = time.perf_counter()
c0 = time.process_time()
rdes = rd.rdesigneur(verbose=False, **kw)
rdes.buildModel()
t_build = time.perf_counter() - t0
c_build = time.process_time() - c0
n = len(moose.wildcardFind('/model/elec/#[ISA=CompartmentBase]'))
moose.reinit()
t0 = time.perf_counter()
moose.start(T)
t_run = time.perf_counter() - t0
print('JSON' + json.dumps(dict(build=t_build, cbuild=c_build, run=t_run, n=n, imp=t_import)))
'''


def measure(who, kw, T):
    exe = PYMOOSE if who == 'moose' else sys.executable
    # (bytecode cached on both sides, as in a user's install: a module
    # imported during the build is not compiled from source there)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONDONTWRITEBYTECODE'}
    p = subprocess.run([exe, '-c', SCRIPT, who, TUT, json.dumps(kw), str(T)],
                       capture_output=True, text=True, timeout=900, env=env)
    line = [x for x in p.stdout.splitlines() if x.startswith('JSON')]
    if not line:
        return None
    return json.loads(line[0][4:])


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeat', type=int, default=3,
                    help='fresh processes per model and simulator, taken in turn (default 3)')
    ap.add_argument('--only', default='', help='run the models whose name contains this')
    args = ap.parse_args()
    print(f'{"model":26s} {"sim":8s} {"compts":>7s} {"build CPU s (min, max)":>24s} '
          f'{"build wall s (min)":>18s} {"run s (min)":>11s}  (sim time)')
    for name, (kw, T) in MODELS.items():
        if args.only not in name:
            continue
        res = {'moosepy': [], 'moose': []}
        for _ in range(args.repeat):
            for who in ('moosepy', 'moose'):
                if who == 'moose' and PYMOOSE is None:
                    continue
                r = measure(who, kw, T)
                if r is not None:
                    res[who].append(r)
        for who, rs in res.items():
            if not rs:
                if who == 'moosepy' or PYMOOSE is not None:
                    print(f'{name:26s} {who:8s} {"failed":>7s}')
                continue
            cb = [r['cbuild'] for r in rs]
            print(f'{name:26s} {who:8s} {rs[0]["n"]:7d} {min(cb):12.3f} ({min(cb):.3f}, '
                  f'{max(cb):.3f}) {min(r["build"] for r in rs):18.3f} '
                  f'{min(r["run"] for r in rs):11.3f}  ({T} s)')


if __name__ == '__main__':
    main()
