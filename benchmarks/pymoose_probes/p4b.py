import moose
tests = ['x0^2','x0**2','x0>1?2:3','x0<1?2:3','if(x0>1,2,3)','(x0>1)&&(x0<5)','exp(x0)','log(x0)','ln(x0)','log10(x0)','sqrt(x0)','abs(-x0)','min(x0,1)','max(x0,1)','pi','e','2*pi','exp(1)','x0+e','rand()','rand2(0,1)','x0%2','fmod(x0,2)','!x0','_pi','x0 + foo','t','x0*x1+t','2^3^2','-x0^2','1/0','x0 && 0','x0 || 0','sin(x0)','3e2','x0 == 3','pow(x0,2)','exp(x0)*0+y0','c0+x0']
G=[]
for i,ex in enumerate(tests):
    g = moose.Function('/g%d'%i)
    try:
        g.expr = ex
    except Exception as exc:
        print('%-16s RAISES %s: %s'%(ex, type(exc).__name__, str(exc)[:100])); G.append(None); continue
    G.append(g)
    if g.x.num>0: g.x[0].value = 3.0
moose.reinit(); moose.start(0.3)
for ex,g in zip(tests,G):
    if g is None: continue
    print('%-16s expr_after=%-22r nx=%d numVars=%s value=%r' % (ex, g.expr, g.x.num, g.numVars, g.value))
print('clock t', moose.element('/clock').currentTime)
