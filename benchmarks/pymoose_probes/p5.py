import moose, numpy as np
k = moose.Ksolve('/k0'); print('default method', repr(k.method), 'epsAbs', k.epsAbs, 'epsRel', k.epsRel, 'tick', k.tick, 'dt', k.dt)
print('Ksolve fields', moose.getFieldNames('Ksolve','valueFinfo'))
for mname in ['foo','lsoda','gsl','rk4','rk2','rkf','rk5','rkck','rk8','euler','gssa','LSODA','rk5a','lsoda']:
    k.method = mname; print('set %r -> %r'%(mname, k.method))
k.epsAbs=1e-9; k.epsRel=1e-8; print('eps after set', k.epsAbs, k.epsRel)
# stoich order test: reacSystemPath before ksolve
def mk(order):
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume=1e-18
    a=moose.Pool('/m/a'); a.concInit=1; b=moose.Pool('/m/b')
    r=moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); moose.connect(r,'prd',b,'reac'); r.Kf=0.1; r.Kb=0
    k=moose.Ksolve('/m/k'); s=moose.Stoich('/m/s')
    try:
        for step in order:
            if step=='c': s.compartment=m
            if step=='k': s.ksolve=k
            if step=='p': s.reacSystemPath='/m/##'
        moose.reinit(); moose.start(10)
        print('order',order,'a.conc',a.conc,'expected',np.exp(-1),'numAllPools', s.numAllPools, 'numRates', s.numRates)
    except Exception as ex: print('order',order,'EXC',ex)
for o in ['ckp','cpk','pck','kcp','pkc','ck','cp','kp']: mk(o)
