"""The built-in simulator (loopback) is never reached through an environment proxy."""

from __future__ import annotations


def test_loopback_endpoints_never_use_an_environment_proxy() -> None:
    from engine.inventory import ConnectionSettings
    from engine.transport.wsman_arguments import wsman_arguments

    def args(server: str) -> dict:
        settings = ConnectionSettings(server=server, auth="ntlm", username="u", password_env="P")
        return wsman_arguments("h", settings, "pw")

    assert args("127.0.0.1")["no_proxy"] is True
    assert args("localhost")["no_proxy"] is True
    assert args("::1")["no_proxy"] is True
    assert "no_proxy" not in args("hv01.corp.example")  # real hosts honour the environment's proxy
