"""Desired-state model: typed resources per host (see ``resources``)."""

from engine.model.resources import (
    KINDS,
    UNSET,
    CustomerRouteSpec,
    HostVNic,
    LookupRecordSpec,
    NetworkVirtualization,
    NicSelector,
    ProviderAddressSpec,
    Resource,
    SriovNic,
    SriovPolicy,
    VlanSpec,
    VMNetworkAdapter,
    VMSwitch,
)

__all__ = [
    "KINDS",
    "UNSET",
    "CustomerRouteSpec",
    "HostVNic",
    "LookupRecordSpec",
    "NetworkVirtualization",
    "NicSelector",
    "ProviderAddressSpec",
    "Resource",
    "SriovNic",
    "SriovPolicy",
    "VMNetworkAdapter",
    "VMSwitch",
    "VlanSpec",
]
