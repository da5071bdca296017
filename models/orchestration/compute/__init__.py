"""Compute drivers for `AWS::EC2::Instance`: the interface and registry in `driver.py`, the
default `local` driver (sandboxed local processes) in `local.py`."""

from models.orchestration.compute.driver import (
    STATES,
    BootRequest,
    ComputeDriver,
    ComputeError,
    FileSpec,
    InstanceStatus,
    check_files,
    check_instance_path,
    get_driver,
    register_driver,
)

__all__ = [
    "STATES",
    "BootRequest",
    "ComputeDriver",
    "ComputeError",
    "FileSpec",
    "InstanceStatus",
    "check_files",
    "check_instance_path",
    "get_driver",
    "register_driver",
]
