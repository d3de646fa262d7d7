"""numba for the step core: one decorator, so every compiled rule is compiled the same way.

The step's per-customer and per-inquiry loops are plain Python functions decorated with
:data:`jit`; each is still the one place its rule lives (the agents engine calls the same
compiled effect with one index). Compiled code is cached next to the module
(``cache=True``), so only the first run on a machine pays the compilation.

Two rules keep the seeded results bit for bit what numpy gives:

- no ``fastmath`` (no reassociation, no fused multiply-add): sums and products are
  evaluated in the order written, like numpy's element-wise operations;
- no transcendental functions (``exp``, ``log``) inside compiled code: numba calls the
  C library's ``exp``, numpy its own SIMD version, and the two differ in the last bit for
  a few per cent of arguments. Such terms are computed with numpy and passed in.
"""

from __future__ import annotations

import numba

jit = numba.njit(cache=True, nogil=True)
