"""Cost of an object stepped beside a solver rather than in it (README,
"What is here"): a 10-compartment HSolve cell with a SynChan, run 0.1 s at
dt 25 us (4000 steps) alone and with one STDPSynHandler, one DifShell or
one Function reading Vm; prints CPU ms and the extra us per step.

    python benchmarks/bench_beside_solver.py
"""
import os
os.environ.setdefault('MOOSEPY_AUTO_WARMUP', '0')   # measurements: no background compile
import time
import moosepy as moose
def cell(path, n=10):
    moose.Neutral(path)
    comps=[]
    for i in range(n):
        c=moose.Compartment(f'{path}/c{i}'); c.Rm=1e9; c.Cm=1e-11; c.Ra=1e6; c.length=1e-5; c.diameter=1e-6
        if comps: moose.connect(comps[-1],'raxial',c,'axial')
        comps.append(c)
    return comps
def run(setup, label, T=0.1, dt=25e-6):
    for t in range(10): moose.setClock(t, dt)
    moose.reinit(); t0=time.process_time(); moose.start(T); base=time.process_time()-t0
    return base
# baseline: solved cell alone
res={}
for variant in ('none','function_x','stdp','difshell'):
    moose.reset_tree() if hasattr(moose,'reset_tree') else None
    for p in ('/m','/h'):
        if moose.exists(p): moose.delete(p)
    comps=cell('/m')
    sc=moose.SynChan('/m/c0/syn'); moose.connect(sc,'channel',comps[0],'channel')
    if variant=='stdp':
        h=moose.STDPSynHandler('/m/c0/syn/h'); h.numSynapses=1
        moose.connect(h,'activationOut',sc,'activation')
    if variant=='function_x':
        f=moose.Function('/m/f'); f.expr='x0*1e-12'
        moose.connect(comps[3],'VmOut',f.x[0],'input')
        moose.connect(f,'valueOut',comps[0],'setInject')
    if variant=='difshell':
        d=moose.DifShell('/m/c0/shell'); d.length=1e-5; d.diameter=1e-6; d.thickness=1e-7; d.C=1e-4; d.Ceq=1e-4; d.D=2e-10; d.valence=2
    hs=moose.HSolve('/h'); hs.dt=25e-6; hs.target='/m/c0'
    run(None, variant)   # warm: kernels loaded, layout compiled
    b=run(None,variant)
    res[variant]=b
    print(f'{variant:12s} 0.1 s (4000 steps): {b*1e3:.1f} ms CPU -> {(b-res["none"])/4000*1e6:.2f} us/step over the solved cell' )
