import moose, numpy as np
np.set_printoptions(linewidth=200)
c=moose.element('/clock'); print('clock class', c.className, 'fields', moose.getFieldNames('Clock','valueFinfo'))
print('dts before anything', list(c.dts))
def build(extra_table=False):
    if moose.exists('/m'): moose.delete('/m')
    m = moose.CubeMesh('/m'); m.volume = 1e-18
    a = moose.Pool('/m/a'); a.concInit = 1
    r = moose.Reac('/m/r'); moose.connect(r,'sub',a,'reac'); r.Kf=0.1; r.Kb=0
    t = moose.Table2('/m/t'); moose.connect(t,'requestOut',a,'getConc')
    if extra_table: t1=moose.Table('/m/t1'); moose.connect(t1,'requestOut',a,'getConc')
    k = moose.Ksolve('/m/k'); k.method='rk5'; s = moose.Stoich('/m/s'); s.compartment=m; s.ksolve=k; s.reacSystemPath='/m/##'
    return a,t
a,t=build(); moose.reinit()
print('dts after reinit', list(c.dts))
print('ticks', list(c.ticks) if hasattr(c,'ticks') else None, 'tickDt', None)
print('baseDt', c.baseDt, 'runTime', c.runTime, 'nsteps', c.nsteps, 'numTicks', c.numTicks, 'currentStep', c.currentStep, 'isRunning', c.isRunning)
moose.start(1.05); print('ksolve model start(1.05): currentTime', repr(c.currentTime), 'currentStep', c.currentStep, 'nsteps', c.nsteps, 'baseDt', c.baseDt, 'a.conc', a.conc, 'exp(-.105)', np.exp(-0.105), 'exp(-.11)', np.exp(-0.11), 'table len', len(t.vector))
moose.start(1.05); print(' second start(1.05): currentTime', repr(c.currentTime), 'a.conc', a.conc, 'exp(-.21)', np.exp(-0.21), 'exp(-.22)', np.exp(-0.22), 'table len', len(t.vector))
a,t=build(True); moose.reinit(); moose.start(1.05); print('with Table(tick8, dt1e-4): currentTime', repr(c.currentTime), 'currentStep', c.currentStep, 'baseDt', c.baseDt, 'a.conc', a.conc)
a,t=build(); moose.reinit(); moose.start(0.04); print('start(0.04): currentTime', repr(c.currentTime), 'a.conc', a.conc)
a,t=build(); moose.reinit(); moose.start(0.16); print('start(0.16): currentTime', repr(c.currentTime), 'a.conc', a.conc, 'exp(-.02)',np.exp(-0.02))
a,t=build(); moose.reinit(); moose.start(0.15); print('start(0.15): currentTime', repr(c.currentTime), 'a.conc', a.conc)
a,t=build(); moose.reinit(); moose.start(0.14); print('start(0.14): currentTime', repr(c.currentTime), 'a.conc', a.conc)
a,t=build(); moose.reinit(); 
for i in range(10): moose.start(0.1)
print('start(0.1) x10 currentTime', repr(c.currentTime), 'table len', len(t.vector), 'a.conc', a.conc, np.exp(-0.1))
moose.reinit(); print('after second reinit currentTime', c.currentTime, 'a.conc', a.conc, 'table len', len(t.vector))
moose.setClock(16, 0.25); a,t=build(); moose.reinit(); print('ksolve dt after setClock(16,.25)', moose.element('/m/k').dt, 'dts', list(c.dts)[:20]); moose.start(1.05); print('ksolve dt .25 start(1.05) currentTime', repr(c.currentTime), 'a.conc', a.conc, np.exp(-0.1*1.25), np.exp(-0.1*1.0))
