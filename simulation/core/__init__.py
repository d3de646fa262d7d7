"""The vectorized step core: pure array kernels, compiled parameters, state and processes.

Nothing here imports Mesa, plots or does I/O. The two kernels are public and usable on
their own.
"""

from simulation.core.kernels import fifo_queue, fifo_queue_state, independent_cascade

__all__ = ["fifo_queue", "fifo_queue_state", "independent_cascade"]
