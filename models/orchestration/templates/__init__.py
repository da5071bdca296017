"""CloudFormation templates for the orchestration engine: pure code, no database, no I/O.

The engine's path through this package, one module per step:

    template = parse_template(text)                     # parsing.py (+ loading.py for text)
    validate_template(template)                         # references.py: 400 before any work
    params = resolve_parameters(template, given)        # parameters.py
    context = StackContext(template, params.values, pseudo_parameters(...))
    conditions = evaluate_conditions(template, context) # conditions.py
    context = replace(context, conditions=conditions)
    graph = dependency_graph(template, conditions)      # dependencies.py
    for level in creation_order_levels(graph):          # each level may run concurrently
        ... resolve_properties(template.resources[name], context) ...   # functions.py
    resolve_outputs(template, context)                  # outputs.py

Every problem is a TemplateError (an InvalidInputError, so the API answers 400) whose message
names the place: `Resource "WebServer": property "ImageId": Ref to unknown parameter or
resource "Foo"`.
"""

from models.orchestration.templates.conditions import evaluate_conditions
from models.orchestration.templates.dependencies import (
    creation_order,
    creation_order_levels,
    deletion_order,
    deletion_order_levels,
    dependency_graph,
    find_cycle,
)
from models.orchestration.templates.errors import ParameterError, TemplateError
from models.orchestration.templates.functions import (
    NO_VALUE,
    ResolveContext,
    StackContext,
    resolve,
    resolve_metadata,
    resolve_properties,
)
from models.orchestration.templates.loading import MAX_TEMPLATE_BYTES, load_document
from models.orchestration.templates.model import (
    OutputDef,
    ParameterDef,
    ParameterValue,
    ResourceDef,
    Template,
)
from models.orchestration.templates.outputs import resolve_outputs
from models.orchestration.templates.parameters import (
    MASK,
    PSEUDO_PARAMETERS,
    ResolvedParameters,
    pseudo_parameters,
    resolve_parameters,
)
from models.orchestration.templates.parsing import parse_document, parse_template
from models.orchestration.templates.references import (
    reference_errors,
    validate_references,
    validate_template,
)

__all__ = [
    "MASK",
    "MAX_TEMPLATE_BYTES",
    "NO_VALUE",
    "PSEUDO_PARAMETERS",
    "OutputDef",
    "ParameterDef",
    "ParameterError",
    "ParameterValue",
    "ResolveContext",
    "ResolvedParameters",
    "ResourceDef",
    "StackContext",
    "Template",
    "TemplateError",
    "creation_order",
    "creation_order_levels",
    "deletion_order",
    "deletion_order_levels",
    "dependency_graph",
    "evaluate_conditions",
    "find_cycle",
    "load_document",
    "parse_document",
    "parse_template",
    "pseudo_parameters",
    "reference_errors",
    "resolve",
    "resolve_metadata",
    "resolve_outputs",
    "resolve_parameters",
    "resolve_properties",
    "validate_references",
    "validate_template",
]
