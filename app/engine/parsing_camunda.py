"""The Camunda dialect's parser, completed where SpiffWorkflow 3.2 leaves gaps.

SpiffWorkflow's CamundaParser reads send and receive tasks with the plain BPMN parsers, whose message event
definition the Camunda serializer cannot store; Lotse's external tasks are receive tasks, so both are read with
the Camunda message parsing here.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask, SendTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEventDefinitionParser


class CamundaReceiveTaskParser(CamundaEventDefinitionParser, ReceiveTaskParser):
    """A receive task whose message definition is the Camunda one."""


class CamundaSendTaskParser(CamundaEventDefinitionParser, SendTaskParser):
    """A send task whose message definition is the Camunda one."""


class LotseCamundaParser(CamundaParser):
    """CamundaParser with Camunda message definitions on send and receive tasks."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("receiveTask"): (CamundaReceiveTaskParser, ReceiveTask),
        full_tag("sendTask"): (CamundaSendTaskParser, SendTask),
    }
