"""A realistic template through every step the engine takes, with a fake engine.

A WaitConditionHandle and WaitCondition around an EC2 instance whose UserData (Fn::Base64 of
Fn::Join) signals the handle; an AutoScalingGroup with its LaunchConfiguration, a ScalingPolicy
and a CloudWatch alarm whose AlarmActions Ref the policy; outputs with Fn::GetAtt.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest

from models.orchestration.templates import (
    MASK,
    ParameterError,
    StackContext,
    Template,
    creation_order_levels,
    deletion_order_levels,
    dependency_graph,
    evaluate_conditions,
    parse_document,
    parse_template,
    pseudo_parameters,
    resolve_outputs,
    resolve_parameters,
    resolve_properties,
    validate_template,
)

pytestmark = pytest.mark.unit

TEMPLATE = r"""
AWSTemplateFormatVersion: 2010-09-09
Description: Web server with a wait condition, and an autoscaled group with a CPU alarm
Parameters:
  KeyName:
    Type: AWS::EC2::KeyPair::KeyName
    Description: Name of an existing key pair
  InstanceType:
    Type: String
    Default: m1.small
    AllowedValues: [m1.tiny, m1.small, m1.large]
    ConstraintDescription: must be a valid instance type
  DBPassword:
    Type: String
    NoEcho: true
    MinLength: 8
    AllowedPattern: "[a-zA-Z0-9]+"
  MaxSize:
    Type: Number
    Default: 3
    MinValue: 1
    MaxValue: 10
  Environment:
    Type: String
    Default: test
    AllowedValues: [test, prod]
Mappings:
  InstanceImages:
    m1.tiny: {Image: cirros}
    m1.small: {Image: fedora}
    m1.large: {Image: fedora}
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  WaitHandle:
    Type: AWS::CloudFormation::WaitConditionHandle
  WebSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
  WebServer:
    Type: AWS::EC2::Instance
    Metadata:
      AWS::CloudFormation::Init:
        config:
          files:
            /etc/app.conf:
              content: !Sub "password=${DBPassword}\n"
    Properties:
      ImageId: !FindInMap [InstanceImages, !Ref InstanceType, Image]
      InstanceType: !Ref InstanceType
      KeyName: !Ref KeyName
      SecurityGroups: [!Ref WebSecurityGroup]
      Monitoring: !If [IsProd, true, !Ref "AWS::NoValue"]
      UserData:
        Fn::Base64:
          Fn::Join:
            - ""
            - - "#!/bin/bash -v\n"
              - "/opt/aws/bin/cfn-init -s "
              - !Ref AWS::StackName
              - " -r WebServer --region "
              - !Ref AWS::Region
              - "\n"
              - "/opt/aws/bin/cfn-signal -e 0 -r 'setup done' '"
              - !Ref WaitHandle
              - "'\n"
  WaitCondition:
    Type: AWS::CloudFormation::WaitCondition
    DependsOn: WebServer
    Properties:
      Handle: !Ref WaitHandle
      Timeout: 600
      Count: 1
  LaunchConfig:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties:
      ImageId: !FindInMap [InstanceImages, !Ref InstanceType, Image]
      InstanceType: !Ref InstanceType
      KeyName: !Ref KeyName
      SecurityGroups: [!Ref WebSecurityGroup]
      UserData: !Base64
        Fn::Sub: |
          #!/bin/bash
          echo "stack ${AWS::StackName} in ${AWS::Region}"
          for i in 1 2 3; do echo ${!i}; done
  ServerGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      AvailabilityZones: !GetAZs ""
      LaunchConfigurationName: !Ref LaunchConfig
      MinSize: "1"
      MaxSize: !Ref MaxSize
  ScaleUpPolicy:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties:
      AdjustmentType: ChangeInCapacity
      AutoScalingGroupName: !Ref ServerGroup
      Cooldown: "60"
      ScalingAdjustment: "1"
  CPUAlarmHigh:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Scale up if CPU > 90% for 10 minutes
      MetricName: CPUUtilization
      Namespace: AWS/EC2
      Statistic: Average
      Period: "300"
      EvaluationPeriods: "2"
      Threshold: "90"
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref ScaleUpPolicy]
      Dimensions:
        - Name: AutoScalingGroupName
          Value: !Ref ServerGroup
  ProdPager:
    Type: AWS::CloudWatch::Alarm
    Condition: IsProd
    Properties:
      AlarmActions: [!Ref ScaleUpPolicy]
Outputs:
  WebsiteURL:
    Description: URL for the web server
    Value: !Join ["", ["http://", !GetAtt WebServer.PublicIp, "/"]]
  SetupData:
    Description: What the instance signalled
    Value: !GetAtt WaitCondition.Data
  GroupSize:
    Value: !Sub "${ServerGroup} runs up to ${MaxSize} servers"
  Pager:
    Condition: IsProd
    Value: !Ref ProdPager
"""

GIVEN = {"KeyName": "heat_key", "DBPassword": "Secret123"}


class FakeEngine:
    """Creates resources level by level, as the engine would, recording what it resolved."""

    def __init__(self, template: Template, given: dict[str, str]) -> None:
        self.template = template
        self.parameters = resolve_parameters(template, given)
        base = StackContext(
            template,
            self.parameters.values,
            pseudo_parameters(
                stack_name="web", stack_id="arn:stack/web/1", region="RegionOne", account_id="t1"
            ),
            zones=("nova",),
        )
        self.context = replace(base, conditions=evaluate_conditions(template, base))
        self.created: dict[str, dict[str, Any]] = {}

    def create(self) -> list[list[str]]:
        levels = creation_order_levels(dependency_graph(self.template, self.context.conditions))
        for level in levels:
            for name in level:
                resource = self.template.resources[name]
                self.created[name] = resolve_properties(resource, self.context)
                self.context = replace(
                    self.context,
                    resource_refs={**self.context.resource_refs, name: physical_id(name)},
                    resource_attributes={
                        **self.context.resource_attributes,
                        name: attributes_of(resource.type),
                    },
                )
        return levels


def physical_id(name: str) -> str:
    if name == "WaitHandle":
        return "http://heat.example/v1/signal/arn%3Astack%2Fweb%2F1/WaitHandle"
    if name in ("ScaleUpPolicy", "CPUAlarmHigh", "ProdPager"):
        return f"arn:heat:{name}"
    return f"{name}-id"


def attributes_of(resource_type: str) -> dict[str, Any]:
    return {
        "AWS::EC2::Instance": {"PublicIp": "192.0.2.10"},
        "AWS::CloudFormation::WaitCondition": {"Data": '{"1": "setup done"}'},
    }.get(resource_type, {})


def test_parses_and_validates() -> None:
    template = parse_template(TEMPLATE)
    validate_template(template)
    assert template.version == "2010-09-09"
    assert list(template.resources) == [
        "WaitHandle",
        "WebSecurityGroup",
        "WebServer",
        "WaitCondition",
        "LaunchConfig",
        "ServerGroup",
        "ScaleUpPolicy",
        "CPUAlarmHigh",
        "ProdPager",
    ]
    # The stored long form parses to the same template.
    assert parse_document(json.loads(json.dumps(template.document))) == template


def test_parameters_defaults_and_no_echo() -> None:
    engine = FakeEngine(parse_template(TEMPLATE), GIVEN)
    assert engine.parameters.values == {
        "KeyName": "heat_key",
        "InstanceType": "m1.small",
        "DBPassword": "Secret123",
        "MaxSize": "3",
        "Environment": "test",
    }
    assert engine.parameters.for_display()["DBPassword"] == MASK
    assert engine.context.conditions == {"IsProd": False}


def test_creation_and_deletion_levels() -> None:
    template = parse_template(TEMPLATE)
    engine = FakeEngine(template, GIVEN)
    levels = engine.create()
    assert levels == [
        ["WaitHandle", "WebSecurityGroup"],
        ["LaunchConfig", "WebServer"],
        ["ServerGroup", "WaitCondition"],
        ["ScaleUpPolicy"],
        ["CPUAlarmHigh"],
    ]
    graph = dependency_graph(template, engine.context.conditions)
    assert deletion_order_levels(graph) == [
        ["CPUAlarmHigh", "WaitCondition"],
        ["ScaleUpPolicy", "WebServer"],
        ["ServerGroup", "WaitHandle"],
        ["LaunchConfig"],
        ["WebSecurityGroup"],
    ]


def test_resolved_properties() -> None:
    engine = FakeEngine(parse_template(TEMPLATE), GIVEN)
    engine.create()
    web = engine.created["WebServer"]
    assert "Monitoring" not in web  # AWS::NoValue outside prod
    assert {key: web[key] for key in ("ImageId", "InstanceType", "KeyName", "SecurityGroups")} == {
        "ImageId": "fedora",
        "InstanceType": "m1.small",
        "KeyName": "heat_key",
        "SecurityGroups": ["WebSecurityGroup-id"],
    }
    assert base64.b64decode(web["UserData"]).decode() == (
        "#!/bin/bash -v\n"
        "/opt/aws/bin/cfn-init -s web -r WebServer --region RegionOne\n"
        "/opt/aws/bin/cfn-signal -e 0 -r 'setup done' "
        "'http://heat.example/v1/signal/arn%3Astack%2Fweb%2F1/WaitHandle'\n"
    )
    assert engine.created["WaitCondition"] == {
        "Handle": "http://heat.example/v1/signal/arn%3Astack%2Fweb%2F1/WaitHandle",
        "Timeout": 600,
        "Count": 1,
    }
    assert base64.b64decode(engine.created["LaunchConfig"]["UserData"]).decode() == (
        '#!/bin/bash\necho "stack web in RegionOne"\nfor i in 1 2 3; do echo ${i}; done\n'
    )
    assert engine.created["ServerGroup"] == {
        "AvailabilityZones": ["nova"],
        "LaunchConfigurationName": "LaunchConfig-id",
        "MinSize": "1",
        "MaxSize": "3",
    }
    assert engine.created["ScaleUpPolicy"]["AutoScalingGroupName"] == "ServerGroup-id"
    alarm = engine.created["CPUAlarmHigh"]
    assert alarm["AlarmActions"] == ["arn:heat:ScaleUpPolicy"]
    assert alarm["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "ServerGroup-id"}]
    assert "ProdPager" not in engine.created


def test_outputs_before_and_after_the_wait_condition() -> None:
    engine = FakeEngine(parse_template(TEMPLATE), GIVEN)
    engine.create()
    assert resolve_outputs(engine.template, engine.context) == [
        {
            "output_key": "WebsiteURL",
            "output_value": "http://192.0.2.10/",
            "description": "URL for the web server",
        },
        {
            "output_key": "SetupData",
            "output_value": '{"1": "setup done"}',
            "description": "What the instance signalled",
        },
        {
            "output_key": "GroupSize",
            "output_value": "ServerGroup-id runs up to 3 servers",
            "description": None,
        },
    ]
    # While the wait condition is still pending, only its output fails.
    pending = replace(
        engine.context,
        resource_attributes={**engine.context.resource_attributes, "WaitCondition": {}},
    )
    outputs = resolve_outputs(engine.template, pending)
    assert outputs[0]["output_value"] == "http://192.0.2.10/"
    assert outputs[1]["output_error"] == 'Resource "WaitCondition" has no attribute "Data"'


def test_prod_adds_the_conditional_resource_and_output() -> None:
    engine = FakeEngine(parse_template(TEMPLATE), {**GIVEN, "Environment": "prod"})
    levels = engine.create()
    assert levels[-1] == ["CPUAlarmHigh", "ProdPager"]
    assert engine.created["WebServer"]["Monitoring"] is True
    outputs = resolve_outputs(engine.template, engine.context)
    assert outputs[-1] == {
        "output_key": "Pager",
        "output_value": "arn:heat:ProdPager",
        "description": None,
    }


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"DBPassword": "Secret123"}, r"The Parameter \(KeyName\) was not provided\."),
        ({**GIVEN, "InstanceType": "huge"}, "failed to satisfy constraint: must be a valid inst"),
        ({**GIVEN, "DBPassword": "short"}, 'Parameter "DBPassword" must be at least 8 char'),
        ({**GIVEN, "DBPassword": "has spaces!"}, 'Parameter "DBPassword" must match the pattern'),
        ({**GIVEN, "MaxSize": "11"}, 'Parameter "MaxSize" must be at most 10'),
        ({**GIVEN, "Colour": "blue"}, r"The Parameter \(Colour\) was not defined in template\."),
    ],
)
def test_bad_parameters(given: dict[str, str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        resolve_parameters(parse_template(TEMPLATE), given)
