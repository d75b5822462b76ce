"""Error records as the mutating cmdlets produce them.

Hyper-V cmdlets build their FullyQualifiedErrorId from the exception *kind*,
not from the resource key of the message: an argument problem is always
``InvalidParameter,Microsoft.HyperV.PowerShell.Commands.<Class>`` with category
InvalidArgument (observed on Server 2022 for Get-VM/Get-VMSwitch; hyperv-model
§2.1 "Not-found behaviour"). The specific rule is therefore recognisable only by
its message, so every message here is distinct and built in one place.

Message texts marked "unverified" are plausible wordings chosen because the
resource strings are not public (hyperv-model §2.2 "The error message strings
themselves were not found"); docs/simulator-rules.md lists them.

CDXML cmdlets (NetAdapter, NetWNV) report through CIM instead:
``CmdletizationQuery_NotFound_<Param>,<Cmdlet>`` / ObjectNotFound for a lookup
that matched nothing, and ``Windows System Error 87,<Cmdlet>`` / InvalidArgument
for a provider refusal (ERROR_INVALID_PARAMETER).
"""

from __future__ import annotations

from engine.sim.objects import ErrorRecord

HV_EXCEPTION = "Microsoft.HyperV.PowerShell.VirtualizationException"
CIM_JOB_EXCEPTION = "Microsoft.PowerShell.Cmdletization.Cim.CimJobException"
CIM_EXCEPTION = "Microsoft.Management.Infrastructure.CimException"


def cmdlet_class(cmdlet: str) -> str:
    """``Set-VMSwitch`` → ``SetVMSwitch`` (the Hyper-V command class name)."""
    return cmdlet.replace("-", "")


def hyperv_error(
    cmdlet: str, error_id: str, category: str, message: str, target: str = ""
) -> ErrorRecord:
    return ErrorRecord(
        message=message,
        fully_qualified_error_id=f"{error_id},Microsoft.HyperV.PowerShell.Commands.{cmdlet_class(cmdlet)}",
        category=category,
        target_name=target,
        exception_type=HV_EXCEPTION,
        activity=cmdlet,
    )


def invalid_argument(cmdlet: str, message: str, target: str = "") -> ErrorRecord:
    """ExceptionHelper.CreateInvalidArgumentException."""
    return hyperv_error(cmdlet, "InvalidParameter", "InvalidArgument", message, target)


def object_not_found(cmdlet: str, message: str, target: str = "") -> ErrorRecord:
    return hyperv_error(cmdlet, "ObjectNotFound", "ObjectNotFound", message, target)


def invalid_operation(cmdlet: str, message: str, target: str = "") -> ErrorRecord:
    return hyperv_error(cmdlet, "InvalidOperation", "InvalidOperation", message, target)


def invalid_state(cmdlet: str, message: str, target: str = "") -> ErrorRecord:
    """A VMMS refusal because of the VM's state (unverified id: InvalidState)."""
    return hyperv_error(cmdlet, "InvalidState", "InvalidOperation", message, target)


def object_in_use(cmdlet: str, message: str, target: str = "") -> ErrorRecord:
    # canonical/multipass#2159: ObjectInUse,Microsoft.HyperV.PowerShell.Commands.NewVMSwitch, ResourceBusy
    return hyperv_error(cmdlet, "ObjectInUse", "ResourceBusy", message, target)


def cim_not_found(cmdlet: str, cim_class: str, prop: str, value: str) -> ErrorRecord:
    return ErrorRecord(
        message=(
            f"No {cim_class} objects found with property '{prop}' equal to '{value}'. "
            "Verify the value of the property and retry."
        ),
        fully_qualified_error_id=f"CmdletizationQuery_NotFound_{prop},{cmdlet}",
        category="ObjectNotFound",
        target_name=value,
        exception_type=CIM_JOB_EXCEPTION,
        activity=cmdlet,
    )


def cim_invalid_parameter(cmdlet: str, message: str, target: str = "") -> ErrorRecord:
    return ErrorRecord(
        message=message,
        fully_qualified_error_id=f"Windows System Error 87,{cmdlet}",
        category="InvalidArgument",
        target_name=target,
        exception_type=CIM_EXCEPTION,
        activity=cmdlet,
    )


def cim_already_exists(cmdlet: str, message: str, target: str = "") -> ErrorRecord:
    # ERROR_OBJECT_ALREADY_EXISTS (5010) from the WNV provider (unverified id)
    return ErrorRecord(
        message=message,
        fully_qualified_error_id=f"Windows System Error 5010,{cmdlet}",
        category="ResourceExists",
        target_name=target,
        exception_type=CIM_EXCEPTION,
        activity=cmdlet,
    )


def binding_error(cmdlet: str, error_id: str, message: str) -> ErrorRecord:
    """A ParameterBindingException as PowerShell's binder raises it (terminating)."""
    return ErrorRecord(
        message=message,
        fully_qualified_error_id=f"{error_id},Microsoft.HyperV.PowerShell.Commands.{cmdlet_class(cmdlet)}",
        category="InvalidArgument",
        exception_type="System.Management.Automation.ParameterBindingException",
        activity=cmdlet,
    )


AMBIGUOUS_PARAMETER_SET = (
    "Parameter set cannot be resolved using the specified named parameters. One or more parameters "
    "issued cannot be used together or an insufficient number of parameters were provided."
)


# --- message texts ---------------------------------------------------------------


class Msg:
    """Message texts by Hyper-V resource key (see module docstring)."""

    # verified (hyperv-model §2.1, §2.5, §4)
    SWITCH_NOT_FOUND = 'Hyper-V was unable to find a virtual switch with name "{name}".'
    VM_NOT_FOUND = 'Hyper-V was unable to find a virtual machine with name "{name}".'
    ADAPTER_NOT_FOUND = "No network adapter was found with the given criteria."
    NIC_NOT_FOUND = "Cannot find a physical network adapter named {name}."
    MORE_THAN_ONE = "Sequence contains more than one element"
    MAC_FORMAT = '"{param}" is not in the correct format.'
    VLAN_MISSING = "Missing parameter"
    VLAN_CONFLICT = "Conflicting parameters"
    # unverified wordings
    SWITCH_NOT_FOUND_BY_ID = 'Hyper-V was unable to find a virtual switch with id "{id}".'
    VM_NOT_FOUND_BY_ID = 'Hyper-V was unable to find a virtual machine with id "{id}".'
    NIC_IN_USE = (
        "Failed while adding virtual Ethernet switch connections. The network adapter '{name}' "
        "is already bound to virtual switch '{switch}'."
    )
    NEW_SWITCH_INVALID_TYPE = (
        "Cannot create an external virtual switch without a network adapter. "
        "Specify -NetAdapterName or -NetAdapterInterfaceDescription."
    )
    NON_TEAMING_MULTIPLE = (
        "Cannot create a virtual switch on more than one network adapter unless embedded teaming is enabled."
    )
    INVALID_ID_FORMAT = "The value '{value}' of parameter 'Id' is not in the correct format."
    SET_NO_NIC = "An external virtual switch requires a network adapter. Specify -NetAdapterName."
    ALLOW_MGMT_EXTERNAL_ONLY = "The AllowManagementOS parameter applies only to external virtual switches."
    TEAMING_CANNOT_CHANGE = (
        "Cannot change the switch type or the network adapters of a virtual switch that has "
        "embedded teaming enabled. Use Set-VMSwitchTeam, Add-VMSwitchTeamMember or "
        "Remove-VMSwitchTeamMember instead."
    )
    IOV_CANNOT_CHANGE_TYPE = "Cannot change the type of an external virtual switch that has SR-IOV enabled."
    EXTERNAL_PORT_NOT_FOUND = "The external port of virtual switch '{name}' was not found."
    MUTUALLY_EXCLUSIVE = "The parameters '{a}' and '{b}' are mutually exclusive."
    BW_RANGE = "The minimum bandwidth weight must be in the range 0 to 100."
    BW_MODE_NONE = (
        "The virtual switch '{switch}' is not configured to allow minimum bandwidth reservation: "
        "its bandwidth reservation mode is None."
    )
    BW_MODE_MISMATCH = (
        "Failed to configure the bandwidth: minimum bandwidth {kind} cannot be set on a port of "
        "virtual switch '{switch}' whose bandwidth reservation mode is {mode}."
    )
    NOT_TEAMING = "The virtual switch '{name}' does not have embedded teaming enabled."
    REMOVE_NON_MEMBER = "The network adapter '{nic}' is not a member of the team of virtual switch '{name}'."
    REMOVE_ALL_MEMBERS = "Cannot remove all network adapters from the team of virtual switch '{name}'."
    ADD_EXISTING_MEMBER = "The network adapter '{nic}' is already a member of the team of virtual switch '{name}'."
    TEAM_TOO_MANY = "A switch embedded team supports at most 8 network adapters (got {count})."
    TEAM_NOT_IDENTICAL = (
        "The network adapters of a switch embedded team must be identical: '{a}' ({da}) and '{b}' ({db}) differ."
    )
    TEAM_MODE = "Switch embedded teaming supports only the SwitchIndependent teaming mode."
    IOV_WEIGHT_RANGE = "The IovWeight must be in the range 0 to 100."
    IOV_QP_RANGE = "The IovQueuePairsRequested must be at least 1."
    VMQ_WEIGHT_RANGE = "The VmqWeight must be in the range 0 to 100."
    STATIC_AND_DYNAMIC = "The StaticMacAddress and DynamicMacAddress parameters cannot be specified together."
    MGMT_OS_PARAM = "The parameter '{param}' is not valid for a network adapter of the management operating system."
    MAC_MULTICAST = (
        "'{vm}' failed to modify device 'Synthetic Ethernet Port'. "
        "The MAC address '{mac}' is a multicast address. (Virtual machine ID {vm_id})"
    )
    MAC_WHILE_RUNNING = (
        "'{vm}' failed to modify device 'Synthetic Ethernet Port'. The MAC address of a network "
        "adapter can be changed only while the virtual machine is turned off. (Virtual machine ID {vm_id})"
    )
    HOT_ADD_GEN1 = (
        "'{vm}' failed to add device 'Synthetic Ethernet Port'. Hot add of network adapters is "
        "supported only on generation 2 virtual machines. (Virtual machine ID {vm_id})"
    )
    HOT_REMOVE_GEN1 = (
        "'{vm}' failed to remove device 'Synthetic Ethernet Port'. Hot remove of network adapters is "
        "supported only on generation 2 virtual machines. (Virtual machine ID {vm_id})"
    )
    # learn.microsoft.com "default limit 256 dynamic MAC addresses": 'Attempt to access invalid address'
    MAC_POOL_EXHAUSTED = (
        "'{vm}' failed to add device 'Synthetic Ethernet Port': Attempt to access invalid address. "
        "The dynamic MAC address pool is exhausted. (Virtual machine ID {vm_id})"
    )
    HOST_MAC_POOL_EXHAUSTED = (
        "Failed to add a host network adapter to virtual switch '{switch}': Attempt to access invalid "
        "address. The dynamic MAC address pool is exhausted."
    )
    LEGACY_GEN2 = "Generation 2 virtual machines do not support legacy network adapters."
    LEGACY_WHILE_RUNNING = (
        "'{vm}' failed to add device 'Emulated Ethernet Port'. A legacy network adapter can be added "
        "only while the virtual machine is turned off. (Virtual machine ID {vm_id})"
    )
    LEGACY_REMOVE_WHILE_RUNNING = (
        "'{vm}' failed to remove device 'Emulated Ethernet Port'. A legacy network adapter can be removed "
        "only while the virtual machine is turned off. (Virtual machine ID {vm_id})"
    )
    TOO_MANY_ADAPTERS = (
        "'{vm}' failed to add device '{device}'. The virtual machine already has the maximum number "
        "({limit}) of such network adapters. (Virtual machine ID {vm_id})"
    )
    VIRTUAL_SUBNET_RANGE = "The VirtualSubnetId must be 0 or in the range 4096 to 16777215."
    VLAN_LIST_FORMAT = "The VLAN ID list is not in the correct format."
    VLAN_ID_RANGE = "The VLAN ID {value} is not valid. A VLAN ID must be in the range 1 to 4094."
    SRIOV_NUMVFS = "The requested number of virtual functions ({value}) exceeds the maximum ({max}) of '{nic}'."
    SRIOV_NOT_SUPPORTED = "The network adapter '{nic}' does not support SR-IOV."
    NO_PARAMETERS = "No parameters were specified to modify."
    WNV_EXISTS = "The object already exists."
    WNV_PA_NOT_LOCAL = "The interface with index {index} was not found."
    WNV_VSID_RANGE = "The VirtualSubnetID {value} is not valid. It must be in the range 4096 to 16777214."
    WNV_BAD_ADDRESS = "The value '{value}' is not a valid IP address."
    WNV_BAD_PREFIX = "The value '{value}' is not a valid IP prefix."
