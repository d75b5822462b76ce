"""Benchmark: the simulator's WinRM/PSRP endpoint on loopback, with the real pypsrp client.

    .venv/bin/python benchmarks/sim_protocol.py [--runs N]

Measures (median and p95 over N runs):
  * pool open + one command + close on a fresh connection, Basic and NTLM (+ encryption);
    target <= 20 ms;
  * one drift read of the example lab host (manifests/examples/lab/sim/lab1.yaml, with a
    state file, as ``hvnet sim serve --state`` runs it): pool open, hvnet's collection
    pipeline (engine/observe/collect.py), close;
  * ``Get-Thing`` returning 1,000 objects of 45 properties, end to end (target < 2 s), and
    the server's share of it (dispatch + CLIXML, no HTTP);
  * the first and third again through hvnet's own session (``engine.transport.psrp``:
    pypsrp with hvnet's deserializer fast paths), as ``hvnet plan`` reads a host;
  * the simulator alone: the five requests of one pypsrp open + command + close, recorded
    once and replayed byte for byte by a bare ``http.client`` connection (a new one per
    exchange, as pypsrp opens), so the figure is the endpoint's answering time with almost
    no client cost in it.

"server CPU" is the CPU time of the simulator's connection threads (``time.thread_time``
around each request), so the client's share in the same process is left out.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from engine.sim import SimServer, start_simulator
from engine.sim.dispatcher import run_invocation
from engine.sim.generic import register_generic
from engine.sim.http import WinRMRequestHandler
from engine.sim.objects import CommandCall, ErrorRecord, Int64, InvocationContext, PSEnum, PSObj
from engine.sim.registry import CmdletSpec, ParamSpec, Registry
from engine.sim.serialize import to_clixml

PASSWORD = "bench-Pa55"
LAB_FIXTURE = Path(__file__).resolve().parents[1] / "manifests" / "examples" / "lab" / "sim" / "lab1.yaml"


class BenchHost:
    """A SimHostAPI with one cmdlet, ``Get-Thing -Count N``: objects of 45 properties."""

    def __init__(self) -> None:
        self.name = "bench"
        self.lock = threading.RLock()
        self.registry = Registry()
        register_generic(self.registry)
        self.registry.register(CmdletSpec("Get-Thing", self._get_thing, (ParamSpec("Count", "int"),)))

    @staticmethod
    def _thing(i: int) -> PSObj:
        props: dict[str, Any] = {
            "Name": f"thing{i}",
            "Id": uuid.UUID(int=i + 1),
            "SwitchType": PSEnum("Microsoft.HyperV.PowerShell.VMSwitchType", "External", 2),
            "Bandwidth": Int64(10_000_000_000),
            "IovEnabled": True,
        }
        for n in range(40):
            props[f"Property{n}"] = n if n % 2 else f"value {n}"
        return PSObj(["Microsoft.HyperV.PowerShell.VMSwitch"], props, f"VMSwitch thing{i}")

    def _get_thing(self, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> Iterable[Any]:
        return [self._thing(i) for i in range(params.get("Count", 1))]

    def count_request(self, action: str) -> None:
        pass

    def before_cmdlet(self, cmdlet: str, parameters: dict[str, Any]) -> ErrorRecord | None:
        return None

    def after_request(self) -> None:
        pass

    @property
    def latency_ms(self) -> int:
        return 0

    def should_drop(self, request_number: int) -> bool:
        return False


class TimedHandler(WinRMRequestHandler):
    """The simulator's handler, adding up the CPU time its threads spend on requests."""

    server_cpu = 0.0
    _lock = threading.Lock()

    def handle_one_request(self) -> None:
        start = time.thread_time()
        try:
            super().handle_one_request()
        finally:
            with TimedHandler._lock:
                TimedHandler.server_cpu += time.thread_time() - start


def timed(fn: Callable[[], object], runs: int) -> list[tuple[float, float, float]]:
    """(wall, CPU, server CPU) seconds per run. Client and server share this process, so the
    CPU time is what one run costs on an idle machine; on a busy one wall time also counts
    the waiting."""
    fn()  # warm-up (imports, first connection, the simulator's parsed-message cache)
    samples = []
    for _ in range(runs):
        start, cpu, server = time.perf_counter(), time.process_time(), TimedHandler.server_cpu
        fn()
        samples.append(
            (time.perf_counter() - start, time.process_time() - cpu, TimedHandler.server_cpu - server)
        )
    return samples


def summary(samples: list[tuple[float, float, float]]) -> tuple[float, float, float, float]:
    """Median wall, p95 wall, median CPU, median server CPU."""
    ordered = sorted(wall for wall, _, _ in samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        statistics.median(ordered),
        p95,
        statistics.median(cpu for _, cpu, _ in samples),
        statistics.median(server for _, _, server in samples),
    )


def timed_server(server: SimServer) -> SimServer:
    """``server`` with its connections handled by ``TimedHandler`` from now on."""
    server._httpd.RequestHandlerClass = TimedHandler
    return server


def lab_drift_read(runs: int) -> tuple[float, float, float, float]:
    """One drift read of the example lab host per run, against a simulator with a state file."""
    from engine.inventory import ConnectionSettings
    from engine.observe.collect import collect_observed
    from engine.sim.host import SimulatedHost
    from engine.transport.psrp import PsrpSession

    os.environ["HVNET_BENCH_SIM_PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory(prefix="hvnet-bench-") as tmp:
        host = SimulatedHost.from_fixture(LAB_FIXTURE, Path(tmp) / "lab1.json")
        with timed_server(start_simulator(host, password=PASSWORD, auth="basic")) as server:
            settings = ConnectionSettings(
                transport="psrp", server="127.0.0.1", port=server.port, ssl=False, auth="basic",
                encryption="never", username="hvnet", password_env="HVNET_BENCH_SIM_PASSWORD",
                allow_unencrypted_basic=True,
            )

            def read() -> int:
                with PsrpSession("lab1", settings) as session:
                    return len(collect_observed(session, "lab1").adapters)

            return summary(timed(read, runs))


def plain_wsman(port: int, auth: str) -> WSMan:
    """pypsrp's own client for the simulator on loopback."""
    return WSMan(
        "127.0.0.1",
        port=port,
        ssl=False,
        auth=auth,
        encryption="auto" if auth == "ntlm" else "never",
        username="hvnet",
        password=PASSWORD,
        no_proxy=True,  # loopback: never a proxy (and no per-request proxy lookup in the environment)
    )


def get_things(wsman: WSMan, count: int) -> int:
    """Open a pool on ``wsman``, run ``Get-Thing -Count count``, close it."""
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Thing").add_parameter("Count", count)
        return len(ps.invoke())


def invoke(port: int, auth: str, count: int) -> int:
    return get_things(plain_wsman(port, auth), count)


def session_invoke(port: int, count: int) -> int:
    """The same through hvnet's own session (engine/transport/psrp.py): pypsrp with hvnet's
    deserializer fast paths, on a fresh connection each time."""
    from engine.inventory import ConnectionSettings
    from engine.transport.command import Cmdlet, Pipeline
    from engine.transport.psrp import PsrpSession

    os.environ["HVNET_BENCH_SIM_PASSWORD"] = PASSWORD
    settings = ConnectionSettings(
        transport="psrp", server="127.0.0.1", port=port, ssl=False, auth="basic", encryption="never",
        username="hvnet", password_env="HVNET_BENCH_SIM_PASSWORD", allow_unencrypted_basic=True,
    )
    with PsrpSession("bench", settings) as session:
        return len(session.run([Pipeline((Cmdlet.of("Get-Thing", Count=count),))])[0])


def record_exchange(port: int) -> list[bytes]:
    """The WS-Management envelopes pypsrp sends for open + ``Get-Thing -Count 1`` + close."""
    wsman = plain_wsman(port, "basic")
    sent: list[bytes] = []
    send = wsman.transport.send

    def recording_send(message: bytes, **kwargs: Any) -> bytes:
        sent.append(message)
        return send(message, **kwargs)

    wsman.transport.send = recording_send
    get_things(wsman, 1)
    return sent


def replay_exchange(port: int, envelopes: list[bytes]) -> int:
    """Send ``envelopes`` again on a fresh connection (the shell and pipeline ids are the
    client's, so the same bytes open, run and delete a new shell each time)."""
    token = base64.b64encode(f"hvnet:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/soap+xml;charset=UTF-8"}
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        for envelope in envelopes:
            connection.request("POST", "/wsman", body=envelope, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"replay answered HTTP {response.status}: {body[:200]!r}")
    finally:
        connection.close()
    return len(envelopes)


def reference_loop_ms() -> float:
    """CPU time of a fixed pure-Python loop: how fast this machine runs Python right now.

    A shared VM's speed drifts (here by up to 2x within an hour); printing this beside the
    table tells which runs are comparable."""
    start = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i & 7
    return (time.process_time() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    from engine.logging import configure_logging

    configure_logging("console", -1, stream=sys.stderr)  # no debug lines from the client or the sim
    reference_before = reference_loop_ms()
    rows: list[tuple[str, str, tuple[float, float, float, float], str]] = []
    host = BenchHost()
    for auth in ("basic", "ntlm"):
        with timed_server(start_simulator(host, password=PASSWORD, auth=auth)) as server:
            stats = summary(timed(lambda s=server, a=auth: invoke(s.port, a, 1), args.runs))
            rows.append((f"open + 1 command + close ({auth})", f"{args.runs}", stats, "<= 20 ms"))
            if auth == "basic":
                runs = max(3, args.runs // 6)
                stats = summary(timed(lambda s=server: invoke(s.port, "basic", 1000), runs))
                rows.append(("1,000 x 45-property objects, end to end", f"{runs}", stats, "< 2 s"))
                stats = summary(timed(lambda s=server: session_invoke(s.port, 1), args.runs))
                rows.append(("open + 1 command + close (hvnet session)", f"{args.runs}", stats, "<= 20 ms"))
                stats = summary(timed(lambda s=server: session_invoke(s.port, 1000), runs))
                rows.append(("1,000 x 45 properties (hvnet session)", f"{runs}", stats, "< 2 s"))
                envelopes = record_exchange(server.port)
                stats = summary(timed(lambda s=server, e=envelopes: replay_exchange(s.port, e), args.runs))
                rows.append(
                    (f"  simulator alone ({len(envelopes)} requests replayed)", f"{args.runs}", stats, "<= 20 ms")
                )
    rows.append(("lab host drift read (open, collect, close)", f"{args.runs}", lab_drift_read(args.runs), ""))
    call = [[CommandCall("Get-Thing", (("Count", 1000),))]]
    stats = summary(timed(lambda: [to_clixml(o) for o in run_invocation(host, call).output], 10))
    rows.append(("  of which server: dispatch + CLIXML", "10", (*stats[:3], stats[2]), ""))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"loopback, client and server in one process; {os.cpu_count()} CPUs, load average {load:.1f}")
    print(
        f"reference loop (1M iterations of pure Python, CPU): {reference_before:.0f} ms before, "
        f"{reference_loop_ms():.0f} ms after — compare runs whose figures here agree"
    )
    print(f"{'measurement':44} {'runs':>5} {'median':>10} {'p95':>10} {'CPU med':>10} {'server CPU':>10}  target")
    for name, runs_text, (med, p95, cpu, server_cpu), target in rows:
        print(
            f"{name:44} {runs_text:>5} {med * 1000:>8.1f}ms {p95 * 1000:>8.1f}ms {cpu * 1000:>8.1f}ms "
            f"{server_cpu * 1000:>8.1f}ms  {target}"
        )


if __name__ == "__main__":
    main()
