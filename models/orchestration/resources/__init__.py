"""Resource types: one plugin class per CloudFormation/Heat resource type (registry.py)."""
