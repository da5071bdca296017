"""The system metrics cfn-push-stats can report, read with psutil.

Names, meanings and default units follow heat-cfntools' bin/cfn-push-stats:
MemoryUsed excludes cache and buffers (psutil's `used`), MemoryAvailable includes them
(psutil's `available`), SwapUsed is allocated swap, disk figures are for the file system
holding `--disk-path`.

Decisions:
- Units are CloudWatch StandardUnit names (`Megabytes`, `Percent`, `Count`), not
  heat-cfntools' `megabytes`/`Counter`, which a CloudWatch-compatible service rejects.
- CPUUtilization blocks for one second on the first sample, as heat-cfntools did. Later
  samples of a `--period` loop are taken over the whole time since the previous one, which
  is what an alarm on the pushed value wants, and cost no extra second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psutil

MEMORY_UNITS = {"bytes": 1, "kilobytes": 1024, "megabytes": 1024**2, "gigabytes": 1024**3}

# CloudWatch's StandardUnit enumeration (it has not changed since 2010).
STANDARD_UNITS = (
    *("Seconds", "Microseconds", "Milliseconds", "Percent", "Count", "Count/Second", "None"),
    *("Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes"),
    *("Bits", "Kilobits", "Megabits", "Gigabits", "Terabits"),
    *("Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second"),
    *("Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second"),
    *("Gigabits/Second", "Terabits/Second"),
)


def standard_unit(name: str) -> str | None:
    """The StandardUnit spelled `name` in any case, or None."""
    return next((unit for unit in STANDARD_UNITS if unit.lower() == name.lower()), None)


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    unit: str


@dataclass
class Collector:
    """Reads the metrics named by the `--*` flags; one per run (it keeps the CPU baseline)."""

    memory_units: str = "megabytes"
    disk_units: str = "megabytes"
    disk_path: str = "/"
    _cpu_primed: bool = field(default=False, init=False)

    def collect(self, flags: set[str]) -> list[Sample]:
        samples: list[Sample] = []
        if "service_failure" in flags:
            samples.append(Sample("ServiceFailure", 1.0, "Count"))
        if "heartbeat" in flags:
            samples.append(Sample("Heartbeat", 1.0, "Count"))
        if flags & {"mem_util", "mem_used", "mem_avail"}:
            samples += self._memory(flags)
        if flags & {"swap_util", "swap_used"}:
            samples += self._swap(flags)
        if flags & {"disk_space_util", "disk_space_used", "disk_space_avail"}:
            samples += self._disk(flags)
        if "cpu_util" in flags:
            samples.append(Sample("CPUUtilization", self._cpu_percent(), "Percent"))
        return samples

    def _memory(self, flags: set[str]) -> list[Sample]:
        memory = psutil.virtual_memory()
        scale, unit = MEMORY_UNITS[self.memory_units], self.memory_units.capitalize()
        samples = []
        if "mem_util" in flags:
            samples.append(Sample("MemoryUtilization", float(memory.percent), "Percent"))
        if "mem_used" in flags:
            samples.append(Sample("MemoryUsed", memory.used / scale, unit))
        if "mem_avail" in flags:
            samples.append(Sample("MemoryAvailable", memory.available / scale, unit))
        return samples

    def _swap(self, flags: set[str]) -> list[Sample]:
        swap = psutil.swap_memory()
        samples = []
        if "swap_util" in flags:
            samples.append(Sample("SwapUtilization", float(swap.percent), "Percent"))
        if "swap_used" in flags:
            scale, unit = MEMORY_UNITS[self.memory_units], self.memory_units.capitalize()
            samples.append(Sample("SwapUsed", swap.used / scale, unit))
        return samples

    def _disk(self, flags: set[str]) -> list[Sample]:
        disk = psutil.disk_usage(self.disk_path)
        scale, unit = MEMORY_UNITS[self.disk_units], self.disk_units.capitalize()
        samples = []
        if "disk_space_util" in flags:
            samples.append(Sample("DiskSpaceUtilization", float(disk.percent), "Percent"))
        if "disk_space_used" in flags:
            samples.append(Sample("DiskSpaceUsed", disk.used / scale, unit))
        if "disk_space_avail" in flags:
            samples.append(Sample("DiskSpaceAvailable", disk.free / scale, unit))
        return samples

    def _cpu_percent(self) -> float:
        if self._cpu_primed:
            return float(psutil.cpu_percent(interval=None))
        self._cpu_primed = True
        return float(psutil.cpu_percent(interval=1.0))
