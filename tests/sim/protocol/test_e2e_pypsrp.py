"""End to end with the real pypsrp client against the simulated endpoint (fake host)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.serializer import TaggedValue
from pypsrp.wsman import WSMan

from engine.sim import SimServer, start_simulator

from .conftest import PASSWORD
from .fakehost import FIXED_ID, FakeHost


def client(
    server: SimServer,
    *,
    password: str = PASSWORD,
    auth: str = "basic",
    tls: bool = False,
    encryption: str = "never",
    operation_timeout: int = 20,
    cert_validation: object = False,
) -> WSMan:
    return WSMan(
        "127.0.0.1",
        port=server.port,
        ssl=tls,
        auth=auth,
        encryption=encryption,
        username="hvnet",
        password=password,
        cert_validation=cert_validation,
        operation_timeout=operation_timeout,
    )


def run(
    pool: RunspacePool, *commands: tuple[str, dict[str, object]], input_data: list[object] | None = None
) -> PowerShell:
    ps = PowerShell(pool)
    for name, params in commands:
        ps.add_cmdlet(name)
        for key, value in params.items():
            ps.add_parameter(key, value)
    ps.invoke(input=input_data)
    return ps


def test_objects_arrive_as_pypsrp_sees_a_real_host(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        ps = run(pool, ("Get-Thing", {"Count": 2}))
    assert ps.state == PSInvocationState.COMPLETED and not ps.had_errors
    first = ps.output[0]
    assert first.types == ["Contoso.Things.Thing", "Contoso.Things.ThingBase", "System.Object"]
    assert first.to_string == "Thing 0"
    props = first.adapted_properties
    assert list(props)[:3] == ["Name", "Id", "Kind"]  # declared order kept
    assert props["Id"] == FIXED_ID and isinstance(props["Id"], uuid.UUID)
    assert str(props["Kind"]) == "External" and props["Kind"].property_sets[0] == 2
    assert props["Kind"].types[0] == "Contoso.Things.ThingKind"
    assert props["Bandwidth"] == 10_000_000_000 and props["Weight"] == 50
    assert props["Enabled"] is True and props["Notes"] is None
    assert props["Tags"] == ["a", "b"]
    # remoting depth 1: a nested object arrives as its ToString
    assert props["Setting"] == "Contoso.Things.ThingSetting (thing0)"


def test_https_with_pinned_certificate_and_with_validation_off(fake_host: FakeHost) -> None:
    with start_simulator(fake_host, password=PASSWORD, tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:") and server.cert_pem
        for validation in (server.cert_pem, False):
            with RunspacePool(client(server, tls=True, cert_validation=validation)) as pool:
                assert run(pool, ("Get-Thing", {"Count": 1})).output[0].adapted_properties["Name"] == "thing0"


def test_ntlm_with_message_encryption_over_http(fake_host: FakeHost) -> None:
    with start_simulator(fake_host, password=PASSWORD, auth="ntlm") as server:
        for auth in ("ntlm", "negotiate"):
            with RunspacePool(client(server, auth=auth, encryption="auto")) as pool:
                ps = run(pool, ("Get-Thing", {"Count": 5}))
                assert [o.adapted_properties["Name"] for o in ps.output][-1] == "thing4"
        with pytest.raises(AuthenticationError):
            RunspacePool(client(server, auth="ntlm", encryption="auto", password="wrong")).open()


def test_bad_basic_password_is_401(basic_server: SimServer) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(client(basic_server, password="nope")).open()
    assert basic_server.host.requests["Create"] == 0  # type: ignore[attr-defined]


def test_several_pools_and_clients_at_once(basic_server: SimServer) -> None:
    results: list[int] = []
    failures: list[BaseException] = []

    def worker(count: int) -> None:
        try:
            with RunspacePool(client(basic_server)) as pool:
                for _ in range(3):
                    results.append(len(run(pool, ("Get-Thing", {"Count": count})).output))
        except BaseException as exc:  # noqa: BLE001 - surfaced in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (5, 6, 7, 8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures
    assert sorted(results) == sorted([5] * 3 + [6] * 3 + [7] * 3 + [8] * 3)


def test_long_poll_receive_times_out_with_the_wsman_fault(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server, operation_timeout=1)) as pool:
        with pytest.raises(WSManFaultError) as caught:
            pool.shell.receive("stdout", timeout=1)  # nothing queued for the pool
        assert caught.value.code == 2150858793
        # the pool is still usable afterwards
        assert len(run(pool, ("Get-Thing", {"Count": 1})).output) == 1


def test_unknown_cmdlet_and_parameter_errors(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        ps = run(pool, ("Get-Nothing", {}))
        assert ps.state == PSInvocationState.FAILED and ps.had_errors
        [err] = ps.streams.error
        assert err.fq_error == "CommandNotFoundException" and err.reason == "CommandNotFoundException"
        assert str(err).startswith("The term 'Get-Nothing' is not recognized as the name of a cmdlet")
        assert err.message.startswith("ObjectNotFound (Get-Nothing:String)")

        ps = run(pool, ("Set-Thing", {"Notes": "x", "Colour": "red"}))
        assert ps.state == PSInvocationState.FAILED
        [err] = ps.streams.error
        assert err.fq_error == "NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetThing"
        assert str(err) == "A parameter cannot be found that matches parameter name 'Colour'."
        assert err.reason == "ParameterBindingException"


def test_script_text_is_refused_like_a_no_language_endpoint(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        ps = PowerShell(pool)
        ps.add_script("Get-Thing | Remove-Item")
        ps.invoke()
    assert ps.state == PSInvocationState.FAILED
    [err] = ps.streams.error
    assert err.fq_error == "ScriptsNotAllowed"
    assert "no-language mode" in str(err)
    assert basic_server.host.cmdlets == []  # type: ignore[attr-defined]


def test_terminating_and_non_terminating_error_shapes(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        ps = run(pool, ("Fail-Thing", {}))
        assert ps.state == PSInvocationState.COMPLETED  # non-terminating: the pipeline goes on
        assert ps.output == ["still here"]
        assert [e.fq_error for e in ps.streams.error] == [
            "Problem1,Contoso.Things.FailThing",
            "Problem2,Contoso.Things.FailThing",
        ]
        assert ps.streams.error[0].activity == "Fail-Thing"

        ps = run(pool, ("Fail-Thing", {"Terminating": True}))
        assert ps.state == PSInvocationState.FAILED and ps.had_errors
        [err] = ps.streams.error
        assert (err.fq_error, err.target_name, str(err)) == (
            "ThingBroken,Contoso.Things.FailThing",
            "thing0",
            "The thing is broken.",
        )
        assert err.message.startswith("InvalidOperation (thing0:String) [Fail-Thing]")

        ps = run(pool, ("Crash-Thing", {}))
        assert ps.state == PSInvocationState.FAILED
        assert (
            ps.streams.error[0].fq_error == "UnexpectedError,Microsoft.HyperV.PowerShell.Commands.CrashThing"
        )


def test_three_thousand_objects_span_many_receives(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        before = basic_server.host.requests["Receive"]  # type: ignore[attr-defined]
        ps = run(pool, ("Get-Thing", {"Count": 3000, "Minimal": True}))
    assert len(ps.output) == 3000
    assert ps.output[-1].adapted_properties["Name"] == "thing2999"
    # ~1 MB of CLIXML does not fit one 512 KB envelope: it is split over several Receives
    assert basic_server.host.requests["Receive"] - before >= 2  # type: ignore[attr-defined]


def test_large_parameter_travels_in_send_fragments(basic_server: SimServer) -> None:
    blob = "x" * 600_000
    with RunspacePool(client(basic_server)) as pool:
        ps = run(pool, ("Echo-Params", {"Blob": blob}))
    assert ps.output[0].adapted_properties["BlobLength"] == 600_000
    assert basic_server.host.requests["Send"] >= 1  # type: ignore[attr-defined]


def test_parameter_kinds_switches_int64_and_positionals(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Echo-Params").add_argument("hello").add_argument(7)
        ps.add_parameter("Big", TaggedValue("I64", 2**40)).add_parameter("N", "one")
        ps.add_parameter("Flag").add_parameter("Enabled", False)
        ps.invoke()
    echo = ps.output[0].adapted_properties
    assert (echo["Text"], echo["Number"], echo["Big"]) == ("hello", 7, 2**40)
    assert echo["Names"] == ["one"] and echo["Flag"] is True and echo["Enabled"] is False
    assert echo["ClientAddress"] == "127.0.0.1"


def test_pipeline_input_and_multi_statement_pipelines(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        ps = run(pool, ("Select-Object", {"First": 2}), input_data=["a", "b", "c"])
        assert ps.output == ["a", "b"]

        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Thing").add_parameter("Count", 4)
        ps.add_cmdlet("Where-Object").add_parameter("Property", "Name").add_parameter("EQ").add_parameter(
            "Value", "THING2"
        )
        ps.add_cmdlet("Set-Thing").add_parameter("Notes", "hi").add_parameter("Passthru")
        ps.add_statement()
        ps.add_cmdlet("Get-Thing").add_parameter("Count", 2)
        ps.add_cmdlet("Select-Object").add_parameter("ExpandProperty", "Setting").add_parameter(
            "Property", ["Name", "Id"]
        )
        ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED
    updated, *expanded = ps.output
    assert updated.adapted_properties["Name"] == "thing2" and updated.adapted_properties["Notes"] == "hi"
    assert [e.adapted_properties["VlanId"] for e in expanded] == [10, 11]
    assert expanded[1].extended_properties["Name"] == "thing1"
    assert expanded[0].extended_properties["Id"] == FIXED_ID


def test_is_alive_and_counters(basic_server: SimServer) -> None:
    host = basic_server.host
    pool = RunspacePool(client(basic_server))
    pool.open()
    assert pool.is_alive()
    run(pool, ("Get-Thing", {"Count": 1}))
    pool.close()
    assert host.requests["Create"] == 1 and host.requests["Delete"] == 1  # type: ignore[attr-defined]
    assert host.requests["Get"] == 1  # type: ignore[attr-defined]
    assert host.cmdlets == [("Get-Thing", {"Count": 1})]  # type: ignore[attr-defined]
    assert host.persisted == sum(host.requests.values())  # type: ignore[attr-defined]
    assert basic_server.service.shell_count == 0


def test_injected_cmdlet_failure_is_a_non_terminating_error() -> None:
    # CONTRACT §4: the nth call fails once with a non-terminating error; the pipeline completes.
    host = FakeHost(fail={"Get-Thing": "injected"})
    with start_simulator(host, password=PASSWORD) as server, RunspacePool(client(server)) as pool:
        ps = run(pool, ("Get-Thing", {}))
    assert ps.state == PSInvocationState.COMPLETED
    assert ps.output == []
    assert str(ps.streams.error[0]) == "injected"
    assert host.cmdlets[0][0] == "Get-Thing"


def test_dropped_request_closes_the_connection_without_answer() -> None:
    host = FakeHost(drop=1)  # request 2 (the first Receive of open()) is dropped
    with start_simulator(host, password=PASSWORD) as server:
        with pytest.raises((requests.exceptions.ConnectionError, WSManFaultError)):
            RunspacePool(client(server)).open()
        # only once: the next client works
        with RunspacePool(client(server)) as pool:
            assert len(run(pool, ("Get-Thing", {"Count": 1})).output) == 1


def test_non_wsman_paths_and_garbage(basic_server: SimServer) -> None:
    auth = ("hvnet", PASSWORD)
    base = basic_server.url.rsplit("/", 1)[0]
    assert requests.post(base + "/other", data=b"<x/>", auth=auth, timeout=5).status_code == 404
    assert requests.get(basic_server.url, auth=auth, timeout=5).status_code == 404
    resp = requests.post(
        basic_server.url,
        data=b"<not-xml",
        auth=auth,
        timeout=5,
        headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
    )
    assert (
        resp.status_code == 500 and b"WSManFault" in resp.content and b"SchemaValidationError" in resp.content
    )


def test_stop_signal_and_a_closed_pool_is_not_alive(basic_server: SimServer) -> None:
    pool = RunspacePool(client(basic_server))
    pool.open()
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Thing").add_parameter("Count", 2)
    ps.begin_invoke()
    ps.stop()  # ctrl_c: a pipeline that already finished stays finished
    assert ps.state == PSInvocationState.STOPPED
    assert basic_server.host.requests["Signal"] == 1  # type: ignore[attr-defined]
    assert len(run(pool, ("Get-Thing", {"Count": 1})).output) == 1
    basic_server.service.close_all()  # the shell goes away under the client
    assert not pool.is_alive()  # InvalidSelectors → not alive


def test_unknown_shell_is_invalid_selectors(basic_server: SimServer) -> None:
    pool = RunspacePool(client(basic_server))
    pool.open()
    basic_server.service.close_all()
    with pytest.raises(WSManFaultError) as caught:
        pool.shell.receive("stdout", timeout=1)
    assert caught.value.code == 2150858843
    with pytest.raises(WSManFaultError):
        pool.close()  # Delete of a shell that is gone: InvalidSelectors, as on Windows


def test_ipv6_loopback_url_has_brackets(fake_host: FakeHost) -> None:
    try:
        server = start_simulator(fake_host, bind="::1", password=PASSWORD)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server:
        assert server.url == f"http://[::1]:{server.port}/wsman"
        with RunspacePool(
            WSMan(
                "::1",
                port=server.port,
                ssl=False,
                auth="basic",
                encryption="never",
                username="hvnet",
                password=PASSWORD,
            )
        ) as pool:
            assert len(run(pool, ("Get-Thing", {"Count": 1})).output) == 1


def test_int_too_big_for_i32_is_a_fault_and_the_pool_survives(basic_server: SimServer) -> None:
    with RunspacePool(client(basic_server)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Echo-Params").add_parameter("Big", 2**40)  # pypsrp sends a plain int as I32
        with pytest.raises(WSManFaultError) as caught:
            ps.invoke()
        assert "between -2147483648 and 2147483647" in str(caught.value)
        assert len(run(pool, ("Get-Thing", {"Count": 1})).output) == 1


def test_a_stopped_simulator_never_runs_a_request_still_waiting_out_its_latency() -> None:
    """Once stop() returns, nothing changes the host any more: a request that was still in its
    injected latency is dropped, as by a host that went away, not run behind the caller's back."""
    host = FakeHost(latency_ms=1500)
    server = start_simulator(host, password=PASSWORD)
    failures: list[BaseException] = []

    def open_pool() -> None:
        try:
            with RunspacePool(client(server, operation_timeout=5)):
                pass
        except BaseException as exc:  # noqa: BLE001 - the connection is cut: expected
            failures.append(exc)

    caller = threading.Thread(target=open_pool, daemon=True)
    caller.start()
    time.sleep(0.3)  # the Create request is now waiting out its latency
    started = time.monotonic()
    server.stop()
    stopped_after = time.monotonic() - started
    caller.join(10)
    time.sleep(1.5)  # past the latency: had the request been kept, it would have run by now
    assert stopped_after < 1.0
    assert failures, "the pool must not open on a stopped simulator"
    assert host.requests == {} and host.persisted == 0 and host.cmdlets == []
