"""What to read from a host, in ONE invocation, and how to turn it into ``ObservedHost``.

Every statement projects with ``Select-Object -Property`` to only the properties
the parsers use, which keeps the payload small on hosts with hundreds of VMs.
Nested settings (VLAN, bandwidth) are expanded in the pipeline because remoting
serializes objects to depth 1 (they would otherwise arrive as strings).
"""

from __future__ import annotations

from typing import Any

import structlog

from engine.errors import RemoteCommandError
from engine.observe.model import ObservedHost
from engine.observe.parse import parse_observed
from engine.transport.command import Cmdlet, Pipeline
from engine.transport.session import HostSession

log = structlog.get_logger("hvnet.observe")

ADAPTER_KEYS = ("Id", "VMName", "Name", "IsManagementOs")


def _select(*properties: str) -> Cmdlet:
    return Cmdlet.of("Select-Object", Property=list(properties))


def _read(cmdlet: str, params: dict[str, Any] | None, *properties: str) -> Pipeline:
    return Pipeline((Cmdlet.of(cmdlet, params or {}), _select(*properties)))


def _expand(setting: str, *properties: str) -> Pipeline:
    return Pipeline(
        (
            Cmdlet.of("Get-VMNetworkAdapter", All=True),
            Cmdlet.of("Select-Object", ExpandProperty=setting, Property=list(properties)),
        )
    )


# (statement key, pipeline), in the order they run. The keys are what parse_observed reads.
COLLECTION: tuple[tuple[str, Pipeline], ...] = (
    ("vmhost", _read("Get-VMHost", None, "ComputerName", "IovSupport", "IovSupportReasons")),
    # The OS build drives build-dependent defaults (SET load balancing, bandwidth mode).
    ("os", _read("Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}, "BuildNumber")),
    (
        "nics",
        _read(
            "Get-NetAdapter",
            {"Physical": True},
            "Name",
            "InterfaceDescription",
            "DriverDescription",
            "DriverVersion",
            "MacAddress",
            "Speed",
            "Status",
            "InterfaceGuid",
            "InterfaceIndex",
        ),
    ),
    ("nic_hardware", _read("Get-NetAdapterHardwareInfo", None, "Name", "LocationInformationString")),
    ("sriov", _read("Get-NetAdapterSriov", None, "Name", "SriovSupport", "Enabled", "NumVFs")),
    # MaxNumVFs lives in a nested capabilities object (a string at remoting depth 1).
    (
        "sriov_capabilities",
        Pipeline(
            (
                Cmdlet.of("Get-NetAdapterSriov"),
                Cmdlet.of("Select-Object", ExpandProperty="HardwareCapabilities", Property=["Name"]),
            )
        ),
    ),
    ("sriov_vfs", _read("Get-NetAdapterSriovVf", None, "Name", "FunctionID")),
    (
        "ip_addresses",
        _read("Get-NetIPAddress", None, "InterfaceIndex", "InterfaceAlias", "IPAddress", "PrefixLength"),
    ),
    (
        "switches",
        _read(
            "Get-VMSwitch",
            None,
            "Id",
            "Name",
            "SwitchType",
            "AllowManagementOS",
            "EmbeddedTeamingEnabled",
            "IovEnabled",
            "IovSupport",
            "IovSupportReasons",
            "BandwidthReservationMode",
            "DefaultFlowMinimumBandwidthWeight",
            "PacketDirectEnabled",
            "Notes",
            "NetAdapterInterfaceDescriptions",
            "NetAdapterInterfaceGuid",
            "IovVirtualFunctionCount",
            "IovVirtualFunctionsInUse",
        ),
    ),
    (
        "teams",
        _read("Get-VMSwitchTeam", None, "Id", "Name", "NetAdapterInterfaceGuid", "LoadBalancingAlgorithm"),
    ),
    ("vms", _read("Get-VM", None, "Id", "Name", "Generation", "State")),
    (
        "adapters",
        _read(
            "Get-VMNetworkAdapter",
            {"All": True},
            "Id",
            "Name",
            "IsManagementOs",
            "VMName",
            "VMId",
            "SwitchName",
            "SwitchId",
            "Connected",
            "MacAddress",
            "DynamicMacAddressEnabled",
            "MacAddressSpoofing",
            "DhcpGuard",
            "RouterGuard",
            "IovWeight",
            "IovQueuePairsRequested",
            "VirtualSubnetId",
            "IsLegacy",
            "IovUsage",
            "VFDataPathActive",
            "Status",
        ),
    ),
    ("vlans", _expand("VlanSetting", *ADAPTER_KEYS)),
    # BandwidthSetting is null until first set; expanding a null with -Property fails on
    # Windows PowerShell 5.1, so such adapters are filtered out first.
    (
        "bandwidth",
        Pipeline(
            (
                Cmdlet.of("Get-VMNetworkAdapter", All=True),
                Cmdlet.of("Where-Object", Property="BandwidthSetting", NE=True, Value=None),
                Cmdlet.of("Select-Object", ExpandProperty="BandwidthSetting", Property=["Id"]),
            )
        ),
    ),
    (
        "provider_addresses",
        _read(
            "Get-NetVirtualizationProviderAddress",
            None,
            "ProviderAddress",
            "PrefixLength",
            "InterfaceIndex",
            "VlanID",
            "MACAddress",
        ),
    ),
    (
        "lookup_records",
        _read(
            "Get-NetVirtualizationLookupRecord",
            None,
            "CustomerAddress",
            "ProviderAddress",
            "VirtualSubnetID",
            "MACAddress",
            "VMName",
            "Rule",
            "Type",
        ),
    ),
    (
        "customer_routes",
        _read(
            "Get-NetVirtualizationCustomerRoute",
            None,
            "RoutingDomainID",
            "VirtualSubnetID",
            "DestinationPrefix",
            "NextHop",
            "Metric",
        ),
    ),
)


def collection_statements() -> list[Pipeline]:
    return [pipeline for _, pipeline in COLLECTION]


# HNV v1 (NetWNV module) may be absent on a host; its records are then simply empty.
OPTIONAL_KEYS = ("provider_addresses", "lookup_records", "customer_routes")


def collect_raw(session: HostSession) -> dict[str, list[Any]]:
    """Run the whole collection in one ``run`` call; output keyed by statement."""
    try:
        outputs = session.run(collection_statements())
    except RemoteCommandError as exc:
        if not _optional_command_missing(exc):
            raise
        log.warning("host.hnv_unavailable", host=session.host, reason=exc.message)
        required = [(key, pipeline) for key, pipeline in COLLECTION if key not in OPTIONAL_KEYS]
        outputs_required = session.run([pipeline for _, pipeline in required])
        raw = {key: out for (key, _), out in zip(required, outputs_required, strict=True)}
        return {key: raw.get(key, []) for key, _ in COLLECTION}
    return {key: out for (key, _), out in zip(COLLECTION, outputs, strict=True)}


def _optional_command_missing(exc: RemoteCommandError) -> bool:
    """The host lacks one of the optional (HNV) cmdlets — nothing else is wrong."""
    if exc.error_id != "CommandNotFoundException":
        return False
    optional = {c.name.casefold() for key, p in COLLECTION if key in OPTIONAL_KEYS for c in p.commands[:1]}
    text = f"{exc.cmdlet} {exc.message} {exc.target}".casefold()
    return any(name in text for name in optional)


def collect_observed(session: HostSession, host_name: str) -> ObservedHost:
    """The host's whole networking state (a snapshot session answers from its file)."""
    observed = getattr(session, "observed", None)
    if callable(observed):
        return observed(host_name)
    raw = collect_raw(session)
    result = parse_observed(host_name, raw, str(getattr(session, "connection_address", "") or ""))
    log.debug(
        "host.collected",
        host=host_name,
        switches=len(result.switches),
        vms=len(result.vms),
        adapters=len(result.adapters),
        requests=session.requests_made,
    )
    return result
