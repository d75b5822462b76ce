"""Inventory connection settings → the pypsrp WSMan arguments (no network)."""

from __future__ import annotations

import pytest
from pypsrp.wsman import WSMan

from engine.errors import ManifestError
from engine.inventory import ConnectionSettings
from engine.transport.wsman_arguments import resolve_password, wsman_arguments


def settings(**kw: object) -> ConnectionSettings:
    base: dict[str, object] = {
        "server": "hv01.corp.example",
        "username": "CORP\\svc",
        "password_env": "HVNET_PW",
    }
    base.update(kw)
    return ConnectionSettings(**base)  # type: ignore[arg-type]


def build(s: ConnectionSettings, password: str | None = "pw") -> WSMan:
    """The arguments must be accepted by the real WSMan constructor (it validates auth/encryption)."""
    return WSMan(**wsman_arguments("hv01", s, password))


def test_negotiate_over_tls_is_the_default() -> None:
    args = wsman_arguments("hv01", settings(), "pw")
    assert args["auth"] == "negotiate" and args["ssl"] is True and args["port"] == 5986
    assert args["cert_validation"] is True and args["encryption"] == "auto"
    assert args["path"] == "wsman" and args["reconnection_retries"] == 0
    wsman = build(settings())
    assert wsman.transport.endpoint == "https://hv01.corp.example:5986/wsman"


def test_server_defaults_to_the_host_name() -> None:
    assert wsman_arguments("hv01", settings(server=""), "pw")["server"] == "hv01"


def test_timeouts_are_passed_and_read_timeout_outlasts_the_long_poll() -> None:
    args = wsman_arguments("hv01", settings(operation_timeout=7, connection_timeout=3), "pw")
    assert (args["operation_timeout"], args["connection_timeout"]) == (7, 3)
    assert args["read_timeout"] > args["operation_timeout"]
    wsman = build(settings(operation_timeout=7, connection_timeout=3))
    assert wsman.transport.connection_timeout == 3 and wsman.operation_timeout == 7


def test_ca_bundle_becomes_the_verify_path() -> None:
    wsman = build(settings(ca_bundle="/etc/pki/hv-ca.pem"))
    assert wsman.transport.cert_validation == "/etc/pki/hv-ca.pem"


def test_cert_validation_off_only_when_written() -> None:
    wsman = build(settings(cert_validation=False, ca_bundle="/ignored.pem"))
    assert wsman.transport.cert_validation is False


@pytest.mark.parametrize("auth", ["ntlm", "negotiate", "kerberos", "credssp"])
def test_message_encryption_auths_over_http_encrypt(auth: str) -> None:
    wsman = build(settings(auth=auth, ssl=False))
    assert wsman.transport.auth == auth
    assert wsman.transport.wrap_required is True  # encryption=auto over HTTP
    assert wsman.transport.endpoint.startswith("http://") and wsman.transport.port == 5985


def test_kerberos_may_use_a_ticket_without_password() -> None:
    wsman = WSMan(**wsman_arguments("hv01", settings(auth="kerberos", password_env=None), None))
    assert wsman.transport.auth == "kerberos" and wsman.transport.password is None


def test_credssp_sets_its_sub_mechanism() -> None:
    args = wsman_arguments("hv01", settings(auth="credssp"), "pw")
    assert args["credssp_auth_mechanism"] == "auto"
    assert build(settings(auth="credssp")).transport.credssp_auth_mechanism == "auto"


def test_certificate_auth_passes_pem_paths_and_no_password() -> None:
    s = settings(
        auth="certificate", certificate_pem="/c.pem", certificate_key_pem="/k.pem", password_env=None
    )
    args = wsman_arguments("hv01", s, None)
    assert "password" not in args and "username" not in args
    wsman = WSMan(**args)
    assert (wsman.transport.certificate_pem, wsman.transport.certificate_key_pem) == ("/c.pem", "/k.pem")


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        (
            {"auth": "certificate", "ssl": False, "certificate_pem": "/c", "certificate_key_pem": "/k"},
            "ssl: true",
        ),
        ({"auth": "certificate"}, "certificatePem"),
        ({"auth": "basic", "ssl": False}, "clear text"),
        ({"auth": "basic", "encryption": "always"}, "message encryption"),
        ({"auth": "ntlm", "username": None}, "username"),
    ],
)
def test_inconsistent_settings_are_clear_errors(kw: dict[str, object], needle: str) -> None:
    with pytest.raises(ManifestError) as err:
        wsman_arguments("hv01", settings(**kw), "pw")
    assert needle in str(err.value)
    assert "hv01" in str(err.value)


def test_basic_over_http_needs_explicit_opt_in_and_then_never_encrypts() -> None:
    args = wsman_arguments("hv01", settings(auth="basic", ssl=False, allow_unencrypted_basic=True), "pw")
    assert args["encryption"] == "never"
    assert (
        build(settings(auth="basic", ssl=False, allow_unencrypted_basic=True)).transport.wrap_required
        is False
    )


def test_basic_over_tls_works() -> None:
    wsman = build(settings(auth="basic"))
    assert wsman.transport.auth == "basic" and wsman.transport.ssl is True


def test_password_read_from_env_at_connect_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVNET_PW", "s3cret-canary")
    assert resolve_password("hv01", settings()) == "s3cret-canary"


def test_missing_password_env_names_the_variable_not_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HVNET_PW", raising=False)
    with pytest.raises(ManifestError, match="HVNET_PW"):
        resolve_password("hv01", settings())
