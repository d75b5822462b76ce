"""TLS and authentication: certificate validation is on by default; ``caBundle`` trusts a
private CA (the simulator's self-signed certificate); ``certValidation: false`` works but
warns; Basic auth over plain HTTP is refused unless ``allowUnencryptedBasic: true`` — and
refused before a single request leaves, so the password never travels."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from robustness.harness import hvnet

from .sim_endpoint import EXAMPLE_LAB, plain_http_basic, psrp_lab, served

PASSWORD = "tls-Test-pw-9"
ENV = "HVNET_TLS_TEST_PASSWORD"


@pytest.fixture
def tls_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(ENV, PASSWORD)
    with served(EXAMPLE_LAB / "sim" / "lab1.yaml", tmp_path / "state.json", PASSWORD, tls=True) as endpoint:
        assert endpoint.cert_pem is not None
        yield endpoint


def tls_connection(port: int, **extra: Any) -> dict[str, Any]:
    return {"transport": "psrp", "port": port, "ssl": True, "auth": "basic", "passwordEnv": ENV,
            "operationTimeout": 5, "connectionTimeout": 5, **extra}


def requests_served(endpoint: Any) -> int:
    return sum(endpoint.host.counters["requests"].values())


def test_ca_bundle_trusts_the_simulators_certificate(tmp_path: Path, tls_endpoint: Any) -> None:
    lab = psrp_lab(tmp_path, tls_connection(tls_endpoint.port, caBundle="certs/sim-ca.pem"))
    (lab / "certs").mkdir()
    shutil.copy(tls_endpoint.cert_pem, lab / "certs" / "sim-ca.pem")  # relative to the inventory file
    result = hvnet("plan", str(lab), "--detailed-exitcode")
    result.assert_no_crash()
    assert result.exit_code == 2, result.output  # connected over verified TLS and planned
    assert "tls_validation_disabled" not in result.stderr


def test_without_a_ca_bundle_the_self_signed_certificate_is_refused(tmp_path: Path, tls_endpoint: Any) -> None:
    lab = psrp_lab(tmp_path, tls_connection(tls_endpoint.port))
    result = hvnet("plan", str(lab))
    result.assert_no_crash()
    assert result.exit_code == 1
    assert "certificate" in result.stderr.lower(), result.stderr
    assert "lab1" in result.stderr
    assert not any(e for e in tls_endpoint.host.counters["cmdlets"])  # nothing ran on the host


def test_cert_validation_false_connects_but_warns(tmp_path: Path, tls_endpoint: Any) -> None:
    lab = psrp_lab(tmp_path, tls_connection(tls_endpoint.port, certValidation=False))
    result = hvnet("plan", str(lab), "--detailed-exitcode")
    result.assert_no_crash()
    assert result.exit_code == 2, result.output
    assert "tls_validation_disabled" in result.stderr


def test_basic_over_plain_http_is_refused_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    with served(EXAMPLE_LAB / "sim" / "lab1.yaml", tmp_path / "state.json", PASSWORD) as endpoint:
        connection = {**plain_http_basic(endpoint.port, ENV), "allowUnencryptedBasic": False}
        lab = psrp_lab(tmp_path, connection)
        result = hvnet("plan", str(lab))
        served_requests = requests_served(endpoint)
    result.assert_no_crash()
    assert result.exit_code == 1
    assert "inventory.yaml:" in result.stderr  # refused at validation, with its position
    assert "ssl: true" in result.stderr and "allowUnencryptedBasic: true" in result.stderr
    assert served_requests == 0  # the password never left


def test_allow_unencrypted_basic_is_the_explicit_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    with served(EXAMPLE_LAB / "sim" / "lab1.yaml", tmp_path / "state.json", PASSWORD) as endpoint:
        lab = psrp_lab(tmp_path, plain_http_basic(endpoint.port, ENV))
        result = hvnet("plan", str(lab), "--detailed-exitcode")
    assert result.exit_code == 2, result.output


def test_a_password_written_in_the_inventory_is_refused(tmp_path: Path) -> None:
    lab = psrp_lab(tmp_path, {"transport": "psrp", "auth": "basic", "password": "hunter2-literal"})
    result = hvnet("validate", str(lab))
    assert result.exit_code == 1
    assert "a password must not be written in a manifest" in result.stderr
    assert "hunter2-literal" not in result.output


def test_a_missing_password_variable_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    lab = psrp_lab(tmp_path, tls_connection(1))
    result = hvnet("plan", str(lab))
    result.assert_no_crash()
    assert result.exit_code == 1
    assert f"environment variable {ENV} (passwordEnv) is not set" in result.stderr
