"""Plot profile benchmark: what a plotting snippet costs, fresh and warm.

    python benchmarks/plots.py [--n 15]

Figures (medians): a fresh isolated call that imports pyplot, draws sin(x)/x and returns its PNG;
the same in a warm session; and for each plotting module the import time in a fresh instance of the
plot snapshot (pre-imported: a dictionary lookup) and in a warm session (already imported), next to
the default profile's trivial fresh call. The snapshot is built first if it is not cached.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sandbox import median_ms  # benchmarks/sandbox.py, beside this script

PLOT = ("import numpy as np\nimport matplotlib.pyplot as plt\nx = np.linspace(-10, 10, 400)\n"
        "plt.plot(x, np.sinc(x / np.pi)); plt.title('sin(x)/x')")
IMPORT = "import time\nt = time.perf_counter()\nimport {m}\n(time.perf_counter() - t) * 1e3"
MODULES = ("matplotlib.pyplot", "pandas", "networkx", "PIL.Image", "mpl_toolkits.mplot3d")


def main() -> None:
    from wasm_sandbox import Limits, Sandbox

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=15)
    n = ap.parse_args().n
    t = time.perf_counter()
    sb = Sandbox(Limits(pool_size=2, modules="plot", timeout_s=30))
    print(f"plot sandbox ready in {(time.perf_counter() - t) * 1e3:.0f} ms")
    first = sb.run(PLOT)
    assert first.status == "ok" and len(first.figures) == 1, first
    time.sleep(0.5)  # let the pool fill

    samples = []
    for _ in range(n):
        t = time.perf_counter()
        r = sb.run(PLOT)
        samples.append((time.perf_counter() - t) * 1e3)
        assert r.figures, r
        time.sleep(0.05)  # a pause between calls, as a client's would be: the pool refills
    print(f"fresh plotting call (import pyplot, plot, PNG back): {statistics.median(samples):.1f} ms")
    sb.run("import matplotlib.pyplot as plt", session_id="w")
    print(f"warm session plotting call: {median_ms(lambda: sb.run(PLOT, session_id='w'), n):.1f} ms")
    print(f"PNG: {first.figures[0].width}x{first.figures[0].height}, {first.figures[0].size_bytes} bytes")
    for m in MODULES:
        cold = statistics.median(float(sb.run(IMPORT.format(m=m)).value) for _ in range(3))
        sb.run(f"import {m}", session_id="m")
        warm = statistics.median(float(sb.run(IMPORT.format(m=m), session_id="m").value) for _ in range(3))
        print(f"import {m}: fresh instance {cold:.2f} ms, warm session {warm:.2f} ms (inside the guest)")
    sb.close()
    with Sandbox(Limits(pool_size=2)) as math:
        math.run("1")
        time.sleep(0.5)
        print(f"default profile, fresh trivial call: {median_ms(lambda: math.run('1 + 1'), n):.1f} ms")


if __name__ == "__main__":
    main()
