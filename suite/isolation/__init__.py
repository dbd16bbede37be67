"""The trust boundary between the referee (the suite) and the contestant (a method): the threat model and its design.

Threat model. A method is untrusted user code. It may be honest but buggy — it mutates its inputs, raises, calls
`sys.exit` or `os._exit`, hangs (ignoring SIGALRM, swallowing `BaseException`, sitting in one long C call), runs
out of memory — or adversarial: it reads the answer from what it is handed or from the stack, keeps the data it
should compress outside the bitstream, patches the suite (the store's `write`, a scorer), or takes the name of a
registered baseline. The referee — the task's data and ground truth, the scoring, the results store — must not
trust it.

Design. The referee runs the task; the method lives in a *contestant process* of its own (`process`,
`contestant`), forked per cell from a fork server that has the suite, numpy and torch imported but never loaded
task data (`preload`). The task's code sees a stand-in (`remote.RemoteMethod`): each call is a request over a pipe
that carries pickled copies of the protocol's public inputs; the reply is read by an unpickler that admits plain
data only (`wire`), so nothing the method returns can run code in the referee. A numpy array crosses as its
bytes with its exact strides (numpy's own pickle would give fresh ones, and torch reads the strides of length-1 axes
to pick a memory format), so a contestant's copy is the array a trusted method gets. What isolation costs per cell
is kept small without sharing anything between methods: the fork server is started before the first cell and
has done torch's first-call work once; the next contestant is forked in the background while a cell runs (a
process that has received nothing until its `init`); a cleanly ended contestant is killed without waiting for the
kernel to free it; `LATENTBENCH_ISOLATION_LOG` records where a cell's time went (`timing`). Consequences, family
by family:

- every family: a method gets copies, so mutating them cannot touch the referee's cached data or another cell
  (cells of one referee process share that cache read-only); a method file is imported only in contestant
  processes (never in the referee, so it cannot patch the store or a scorer: `file_methods`); exits, signals and
  out-of-memory kills of the contestant become that cell's one-line error; the referee enforces the tier's wall
  time by killing the contestant's process group, whatever the method does with signals.
- `bnn-search`: the loss oracle crosses as a proxy (`__referee_proxy__`): its loss table and query counter stay
  in the referee, each query is a call back to it. Chosen over a copy of the table because the table *is* the
  answer.
- `bounds`: the problem crosses as its public view (`__public__`), which has no `log_z`. The closed form is a
  function of the problem's public parameters (that is what makes these tasks exact), so a method could recompute
  it; that is visible in its source (whose hash every row keeps), not preventable by a process boundary.
- `representation`: `fit`, `predict`, `cluster`, `encode` run in the contestant on copies of the images; the test
  labels stay in the referee, so neither the arguments nor the stack of the contestant hold them.
- `rd-curve`: AIS needs the decoder's gradient at every HMC step next to the target images, so the decoder is
  handed over rather than called remotely: after `setup(spec)` in the contestant, `decode` is traced by TorchScript
  (`rd_handoff`) and the referee evaluates the traced graph — no Python of the method runs next to the targets.
  A trace that disagrees with the method's own `decode` on fresh latents is an error (data-dependent control flow
  cannot be traced). A prior is an int (N(0, I_k)) or a torch distribution, which crosses as data.
- `lossless`: `encode` runs in the contestant; `decode` runs in a *fresh* contestant that gets only the bytes (and
  the public setup context), and the round trip is checked against the referee's own copy of the items
  (`lossless_integrity`). A module-level dict therefore cannot carry the items across; a file written during
  encode is refused by the sandbox (below), and where the sandbox is missing it is caught
  where the task knows the source's entropy — a rate below the exact `-log2 p(x)` beyond the stated tolerance is
  flagged — and every row records the rate it measured from the real length of the bytes. Initial bits are checked
  against the stream's length for every codec, a suite coder named by a user's codec included.

The operating-system sandbox (`sandbox.py`, Linux Landlock) closes what a process boundary leaves open: the
contestant cannot read the data folder, the cache or bundled datasets, writes only to its own temporary folder and
the cell's scratch, and cannot ptrace or signal the referee. Not covered even then: the suite is importable in the
contestant, so a method can recompute an answer that needs no data (a closed form from the problem's public
parameters, a task generated from a public seed); that code is in the method's source, whose content hash every row
keeps. Where Landlock is missing, rows say so (`sandbox` in the provenance).

Trusted mode (`latentbench run --trusted`) runs registered methods in the referee's process, as before; rows say
`"isolation": "in-process (trusted)"` in their provenance. Method files are always isolated.
"""
