"""The simulated Hyper-V host: a real WinRM endpoint (WS-Management + PSRP) in Python.

``start_simulator(host, password=...)`` serves a ``SimHostAPI`` (for example
``engine.sim.host.SimulatedHost``) at ``http(s)://127.0.0.1:<port>/wsman``.
"""

from engine.sim.server import SimServer, start_simulator

__all__ = ["SimServer", "start_simulator"]
