"""Orchestration store tables (stacks, resources, events, operations: issue 6)."""

from models.base import OrchestrationBase

__all__ = ["OrchestrationBase"]
