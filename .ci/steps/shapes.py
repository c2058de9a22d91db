"""Checks every answer of `ristretto local serve` against botocore's service models.

The simulator encodes its answers with the Rust SDK's schema codec, so member names and types are
right by construction; but the SDK's schemas carry no `required` or enum traits. botocore's models
(from PyPI, installed at CI time) do. A broad scenario runs over ECS, CodeDeploy, Application Auto
Scaling, SSM and Secrets Manager with boto3, and a hook after every call validates:

- the parsed answer with botocore's own `ParamValidator` against the operation's output shape
  (required members present, types, lengths and ranges);
- the raw JSON body against the same shape: no member the model does not know (botocore's parser
  silently drops those), enum values in the model's enum, wire types of awsJson 1.1
  (timestamps as epoch seconds);
- an error answer: its code is one the operation declares (or a common error), and its body
  matches that error's shape;
- every answer has its own `x-amzn-RequestId`.

Prints how many answers and operations were checked; exits 1 listing operation + member path for
each finding. Reads AWS_ENDPOINT_URL from the environment (set by shapes.sh).
"""

import json
import sys
import time

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.validate import ParamValidator

CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"})
# Errors any operation of an awsJson service may answer (botocore's models leave them out).
COMMON_ERRORS = {
    "ThrottlingException",
    "ValidationException",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InternalFailure",
    "ServiceUnavailableException",
    "SerializationException",
    "UnknownOperationException",
}

findings = []
checked = {"answers": 0, "errors": 0}
operations = set()
request_ids = set()


def check_raw(shape, value, path, out):
    """The raw JSON `value` against botocore `shape`: unknown members, enums, wire types."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        members = shape.members
        for name, member_value in value.items():
            if name == "__type" and shape.metadata.get("exception"):
                continue
            if name not in members:
                out.append(f"{path}.{name}: not a member of {shape.name}")
                continue
            if member_value is None:
                out.append(f"{path}.{name}: null")
                continue
            check_raw(members[name], member_value, f"{path}.{name}", out)
    elif kind == "list":
        if not isinstance(value, list):
            out.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check_raw(shape.member, item, f"{path}[{i}]", out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for key, item in value.items():
            check_raw(shape.key, key, f"{path}{{{key}}}", out)
            check_raw(shape.value, item, f"{path}[{key!r}]", out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {type(value).__name__}")
        elif shape.enum and value not in shape.enum:
            out.append(f"{path}: {value!r} is not in the enum {shape.name} {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{path}: expected an integer, got {value!r}")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected a boolean, got {value!r}")
    elif kind == "timestamp":
        # awsJson 1.1 sends timestamps as epoch seconds.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{path}: expected epoch seconds, got {value!r}")
    elif kind == "blob":
        if not isinstance(value, str):
            out.append(f"{path}: expected base64 text, got {value!r}")


def check_answer(model, status, body, parsed):
    """Findings (member path and what is wrong) of one answer of `model` (an OperationModel)."""
    out = []
    if status >= 300:
        checked["errors"] += 1
        code = str(body.get("__type", "")).rsplit("#", 1)[-1]
        declared = {e.name: e for e in model.error_shapes}
        if code in declared:
            shape = declared[code]
            members = body
            # An exception shape without a message member (CodeDeploy's): clients read `message`.
            if not any(m.lower() == "message" for m in shape.members):
                members = {k: v for k, v in body.items() if k != "message"}
            check_raw(shape, members, "error", out)
        elif code not in COMMON_ERRORS:
            out.append(f"error: {code!r} is not an error {model.name} declares ({sorted(declared)})")
        if not isinstance(body.get("message", body.get("Message")), str):
            out.append("error: no message")
        return out
    checked["answers"] += 1
    shape = model.output_shape
    if shape is None:
        if body:
            out.append(f"output: {model.name} has no output but the answer has {sorted(body)}")
        return out
    check_raw(shape, body, "output", out)
    answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(answer, shape)
    if report.has_errors():
        out.extend(line.strip() for line in report.generate_report().splitlines()[1:] if line.strip())
    return out


def check_query_answer(model, status, parsed):
    """Findings of one awsQuery (XML) answer: botocore's parser already read it against the
    model, so the parsed answer is validated (required members, types, enums by ParamValidator),
    and an error's code must be one the operation declares."""
    out = []
    if status >= 300:
        checked["errors"] += 1
        code = parsed.get("Error", {}).get("Code", "")
        declared = {e.metadata.get("error", {}).get("code", e.name) for e in model.error_shapes}
        if code not in declared and code not in COMMON_ERRORS | {"InvalidAction", "ValidationError"}:
            out.append(f"error: {code!r} is not an error {model.name} declares ({sorted(declared)})")
        if not parsed.get("Error", {}).get("Message"):
            out.append("error: no message")
        return out
    checked["answers"] += 1
    answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(answer, model.output_shape)
    if report.has_errors():
        out.extend(line.strip() for line in report.generate_report().splitlines()[1:] if line.strip())
    return out


def after_call(http_response, parsed, model, **_):
    """botocore's `after-call` hook: validates one answer of `model`."""
    op = f"{model.service_model.service_name}:{model.name}"
    operations.add(op)
    request_id = http_response.headers.get("x-amzn-RequestId")
    if not request_id or request_id in request_ids:
        findings.append(f"{op}: request ID {request_id!r} missing or not unique")
    request_ids.add(request_id)
    if model.service_model.protocol == "query":
        findings.extend(f"{op}: {line}" for line in check_query_answer(model, http_response.status_code, parsed))
        return
    try:
        body = json.loads(http_response.content or b"{}")
    except ValueError as e:
        findings.append(f"{op}: the body is not JSON ({e})")
        return
    findings.extend(f"{op}: {line}" for line in check_answer(model, http_response.status_code, body, parsed))


def self_check():
    """The checker finds what it must: a broken DescribeScalableTargets answer."""
    model = boto3.client("application-autoscaling").meta.service_model.operation_model("DescribeScalableTargets")
    target = {
        "ServiceNamespace": "nowhere",  # not in the enum
        "ResourceId": "service/default/web",
        "ScalableDimension": "ecs:service:DesiredCount",
        "MinCapacity": "1",  # not an integer
        "MaxCapacity": 2,
        "CreationTime": 0,
        "Surprise": True,  # not in the model
    }  # RoleARN (required) missing
    parsed = dict(target, CreationTime=__import__("datetime").datetime.now())
    found = "\n".join(check_answer(model, 200, {"ScalableTargets": [target]}, {"ScalableTargets": [parsed]}))
    checked["answers"] -= 1
    for expected in ("nowhere", "MinCapacity", "Surprise", "RoleARN"):
        if expected not in found:
            raise SystemExit(f"shapes.py cannot see a wrong {expected}: {found}")


def client(name):
    c = boto3.client(name, config=CONFIG)
    c.meta.events.register("after-call.*", after_call)
    return c


def expect_error(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        if got != code:
            findings.append(f"{call.__name__}: expected {code}, got {got}")
        return
    findings.append(f"{call.__name__}: expected {code}, the call succeeded")


def until(what, look, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = look()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


self_check()
ecs = client("ecs")
deploy = client("codedeploy")
scaling = client("application-autoscaling")
ssm = client("ssm")
secrets = client("secretsmanager")
NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}}


def fargate_td(family, image, health=False):
    container = {
        "name": "app",
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
        "environment": [{"name": "A", "value": "1"}],
    }
    if health:
        container["healthCheck"] = {"command": ["CMD-SHELL", "true"], "interval": 5}
    return ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[container],
        tags=[{"key": "team", "value": "web"}],
    )["taskDefinition"]["taskDefinitionArn"]


# Clusters.
ecs.create_cluster(clusterName="shapes", tags=[{"key": "k", "value": "v"}])
ecs.describe_clusters(clusters=["default", "shapes", "missing"], include=["TAGS", "SETTINGS"])
ecs.list_clusters()

# Task definitions.
web1 = fargate_td("web", "nginx:1.27")
web2 = fargate_td("web", "nginx:1.28", health=True)
ec2 = ecs.register_task_definition(
    family="batch",
    containerDefinitions=[{"name": "job", "image": "busybox:1", "memory": 128, "essential": True}],
)["taskDefinition"]["taskDefinitionArn"]
ecs.describe_task_definition(taskDefinition=web1, include=["TAGS"])
ecs.describe_task_definition(taskDefinition="batch")
ecs.list_task_definitions(familyPrefix="web")
ecs.list_task_definition_families()
ecs.list_tags_for_resource(resourceArn=web1)
expect_error("ClientException", ecs.describe_task_definition, taskDefinition="nope:1")
expect_error(
    "ClientException",
    ecs.register_task_definition,
    family="bad",
    networkMode="bridge",
    requiresCompatibilities=["FARGATE"],
    cpu="256",
    memory="512",
    containerDefinitions=[{"name": "app", "image": "nginx"}],
)

# A rolling deployment with the circuit breaker, followed to the end.
ecs.create_service(
    cluster="default",
    serviceName="web",
    taskDefinition=web1,
    desiredCount=2,
    launchType="FARGATE",
    networkConfiguration=NETWORK,
    deploymentConfiguration={
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 50,
    },
    tags=[{"key": "app", "value": "web"}],
    propagateTags="SERVICE",
    enableECSManagedTags=True,
)
until("web to run 2 tasks", lambda: ecs.describe_services(cluster="default", services=["web"])["services"][0]["runningCount"] == 2)
ecs.update_service(cluster="default", service="web", taskDefinition=web2)
ecs.describe_services(cluster="default", services=["web", "missing"], include=["TAGS"])
until(
    "the rolling deployment to complete",
    lambda: [
        d["rolloutState"]
        for d in ecs.describe_services(cluster="default", services=["web"])["services"][0]["deployments"]
    ]
    == ["COMPLETED"],
)
ecs.list_services(cluster="default")
arns = ecs.list_service_deployments(cluster="default", service="web")["serviceDeployments"]
deployments = ecs.describe_service_deployments(serviceDeploymentArns=[d["serviceDeploymentArn"] for d in arns])
revisions = [
    r["arn"]
    for d in deployments["serviceDeployments"]
    for r in d.get("sourceServiceRevisions", []) + [d.get("targetServiceRevision", {})]
    if r.get("arn")
]
assert revisions, deployments
ecs.describe_service_revisions(serviceRevisionArns=revisions)

# Tasks: running, stopped, one-off.
running = ecs.list_tasks(cluster="default", serviceName="web")["taskArns"]
ecs.describe_tasks(cluster="default", tasks=running + ["arn:aws:ecs:us-east-1:123456789012:task/default/0"], include=["TAGS"])
stopped = ecs.list_tasks(cluster="default", serviceName="web", desiredStatus="STOPPED")["taskArns"]
assert stopped, "the rolling deployment stopped the old tasks"
ecs.describe_tasks(cluster="default", tasks=stopped)
run = ecs.run_task(cluster="default", taskDefinition=web1, count=1, launchType="FARGATE", networkConfiguration=NETWORK, startedBy="shapes")
ecs.run_task(cluster="default", taskDefinition=ec2, count=1)
# EC2 capacity: `small` holds one 128 MiB task at most twice; the third is a RESOURCE failure.
placed = ecs.run_task(cluster="small", taskDefinition=ec2, count=3, launchType="EC2")
assert len(placed["tasks"]) == 2 and placed["failures"], placed
expect_error("InvalidParameterException", ecs.run_task, cluster="empty", taskDefinition=ec2, launchType="EC2")
ecs.stop_task(cluster="default", task=run["tasks"][0]["taskArn"], reason="shapes")

# Container instances: the world's instance of `small`, one registered, listed, described,
# drained, deregistered.
small_instances = ecs.list_container_instances(cluster="small")["containerInstanceArns"]
ecs.describe_container_instances(cluster="small", containerInstances=small_instances + ["0" * 32], include=["TAGS", "CONTAINER_INSTANCE_HEALTH"])
registered = ecs.register_container_instance(
    cluster="small",
    instanceIdentityDocument='{"instanceId": "i-0shapes", "instanceType": "t3.small", "availabilityZone": "us-east-1a"}',
    totalResources=[
        {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
        {"name": "MEMORY", "type": "INTEGER", "integerValue": 1024},
        {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22"]},
    ],
    versionInfo={"agentVersion": "1.90.0", "dockerVersion": "25.0.0"},
    attributes=[{"name": "stack", "value": "shapes"}],
    tags=[{"key": "team", "value": "shapes"}],
)["containerInstance"]["containerInstanceArn"]
ecs.list_container_instances(cluster="small", filter="attribute:ecs.instance-type == t3.small", status="ACTIVE", maxResults=1)
ecs.update_container_instances_state(cluster="small", containerInstances=[registered, "0" * 32], status="DRAINING")
ecs.deregister_container_instance(cluster="small", containerInstance=registered)
expect_error("ClusterNotFoundException", ecs.describe_container_instances, cluster="nowhere", containerInstances=["x"])
expect_error("InvalidParameterException", ecs.deregister_container_instance, cluster="small", containerInstance=small_instances[0])
expect_error("InvalidParameterException", ecs.list_container_instances, cluster="small", filter="runningTasksCount >")
expect_error("InvalidParameterException", ecs.list_tasks, cluster="default", startedBy="x", serviceName="web")

# Capacity providers, cluster settings and account settings.
ecs.describe_capacity_providers()
ecs.describe_capacity_providers(capacityProviders=["FARGATE_SPOT", "missing"], include=["TAGS"])
ecs.create_capacity_provider(
    name="shapes-asg",
    autoScalingGroupProvider={"autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/shapes"},
)
ecs.create_cluster(
    clusterName="spot",
    capacityProviders=["FARGATE", "FARGATE_SPOT"],
    defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "base": 1, "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3}],
    settings=[{"name": "containerInsights", "value": "enabled"}],
    configuration={"executeCommandConfiguration": {"logging": "DEFAULT"}},
)
spread = ecs.run_task(cluster="spot", taskDefinition=web1, count=4, networkConfiguration=NETWORK)
assert all(t.get("capacityProviderName") for t in spread["tasks"]), spread
ecs.put_cluster_capacity_providers(
    cluster="spot",
    capacityProviders=["FARGATE", "FARGATE_SPOT"],
    defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
)
expect_error(
    "InvalidParameterException",
    ecs.run_task,
    cluster="default",
    taskDefinition=web1,
    capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
)
ecs.update_capacity_provider(
    name="shapes-asg",
    autoScalingGroupProvider={"managedScaling": {"status": "ENABLED", "targetCapacity": 90}, "managedDraining": "ENABLED"},
)
ecs.delete_capacity_provider(capacityProvider="shapes-asg")
expect_error("ClientException", ecs.delete_capacity_provider, capacityProvider="FARGATE")
expect_error("ClientException", ecs.update_capacity_provider, name="FARGATE_SPOT", autoScalingGroupProvider={})
ecs.update_cluster_settings(cluster="spot", settings=[{"name": "containerInsights", "value": "enhanced"}])
ecs.update_cluster(cluster="spot", configuration={"executeCommandConfiguration": {"logging": "NONE"}})
ecs.describe_clusters(clusters=["spot"], include=["SETTINGS", "CONFIGURATIONS"])
ecs.list_account_settings(effectiveSettings=True)
ecs.put_account_setting(name="containerInsights", value="enabled")
ecs.put_account_setting_default(name="awsvpcTrunking", value="enabled")
ecs.list_account_settings(name="containerInsights")
ecs.delete_account_setting(name="containerInsights")

# Tags.
ecs.tag_resource(resourceArn=web1, tags=[{"key": "x", "value": "y"}])
ecs.untag_resource(resourceArn=web1, tagKeys=["x"])

# A deployment stopped half way.
ecs.update_service(cluster="default", service="web", taskDefinition=web1, forceNewDeployment=True)
latest = ecs.list_service_deployments(cluster="default", service="web", status=["IN_PROGRESS", "PENDING"])["serviceDeployments"]
if latest:
    ecs.stop_service_deployment(serviceDeploymentArn=latest[0]["serviceDeploymentArn"], stopType="ROLLBACK")

# A deployment that fails: the breaker rolls back; stopped tasks carry exit codes and reasons.
broken = fargate_td("web", "nginx:broken")
ecs.update_service(cluster="default", service="web", taskDefinition=broken)
until(
    "the circuit breaker to roll back",
    lambda: ecs.describe_services(cluster="default", services=["web"])["services"][0]["taskDefinition"] != broken,
)
ecs.describe_services(cluster="default", services=["web"])
failed = ecs.list_tasks(cluster="default", serviceName="web", desiredStatus="STOPPED")["taskArns"]
ecs.describe_tasks(cluster="default", tasks=failed[:100])
arns = ecs.list_service_deployments(cluster="default", service="web")["serviceDeployments"]
ecs.describe_service_deployments(serviceDeploymentArns=[d["serviceDeploymentArn"] for d in arns][:20])

# A native canary deployment, its service deployment read at every stage.
ecs.create_service(
    cluster="default",
    serviceName="canary",
    taskDefinition=web1,
    desiredCount=2,
    launchType="FARGATE",
    networkConfiguration=NETWORK,
    deploymentConfiguration={
        "strategy": "CANARY",
        "bakeTimeInMinutes": 1,
        "canaryConfiguration": {"canaryPercent": 50.0, "canaryBakeTimeInMinutes": 1},
    },
)
until("canary to run 2 tasks", lambda: ecs.describe_services(cluster="default", services=["canary"])["services"][0]["runningCount"] == 2)
ecs.update_service(cluster="default", service="canary", taskDefinition=web2)


def canary_done():
    listed = ecs.list_service_deployments(cluster="default", service="canary")["serviceDeployments"]
    described = ecs.describe_service_deployments(serviceDeploymentArns=[d["serviceDeploymentArn"] for d in listed])
    # The service's first deployment and the canary one.
    return sum(d["status"] == "SUCCESSFUL" for d in described["serviceDeployments"]) == 2


until("the canary deployment to succeed", canary_done, timeout=120)

# A native blue/green deployment held by a PAUSE lifecycle hook, then continued.
ecs.create_service(
    cluster="default",
    serviceName="paused",
    taskDefinition=web1,
    desiredCount=1,
    launchType="FARGATE",
    networkConfiguration=NETWORK,
    deploymentConfiguration={
        "strategy": "BLUE_GREEN",
        "bakeTimeInMinutes": 0,
        "lifecycleHooks": [
            {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"], "timeoutConfiguration": {"timeoutInMinutes": 60}},
        ],
    },
)
until("paused to run 1 task", lambda: ecs.describe_services(cluster="default", services=["paused"])["services"][0]["runningCount"] == 1)
ecs.update_service(cluster="default", service="paused", taskDefinition=web2)
paused_arn = ecs.list_service_deployments(cluster="default", service="paused")["serviceDeployments"][0]["serviceDeploymentArn"]


def awaiting_hook():
    sd = ecs.describe_service_deployments(serviceDeploymentArns=[paused_arn])["serviceDeployments"][0]
    return next((h["hookId"] for h in sd.get("lifecycleHookDetails", []) if h["status"] == "AWAITING_ACTION"), None)


hook_id = until("the pause hook to await action", awaiting_hook, timeout=120)
ecs.continue_service_deployment(serviceDeploymentArn=paused_arn, hookId=hook_id, action="CONTINUE")
expect_error("InvalidParameterException", ecs.continue_service_deployment, serviceDeploymentArn=paused_arn, hookId=hook_id)
until(
    "the continued deployment to succeed",
    lambda: ecs.describe_service_deployments(serviceDeploymentArns=[paused_arn])["serviceDeployments"][0]["status"] == "SUCCESSFUL",
    timeout=120,
)
expect_error(
    "ServiceDeploymentNotFoundException",
    ecs.continue_service_deployment,
    serviceDeploymentArn=paused_arn + "x",
    hookId=hook_id,
)

# Errors.
expect_error("ClusterNotFoundException", ecs.describe_services, cluster="nowhere", services=["web"])
expect_error("ServiceNotFoundException", ecs.update_service, cluster="default", service="nope", desiredCount=1)
expect_error("InvalidParameterException", ecs.list_tasks, cluster="default", maxResults=1000)
expect_error("InvalidParameterException", ecs.describe_tasks, cluster="default", tasks=[])
expect_error("ClientException", ecs.deregister_task_definition, taskDefinition="web")

# Task sets of an EXTERNAL service.
ecs.create_service(
    cluster="default",
    serviceName="ext",
    desiredCount=2,
    deploymentController={"type": "EXTERNAL"},
)
ts = ecs.create_task_set(
    cluster="default",
    service="ext",
    taskDefinition=web1,
    launchType="FARGATE",
    networkConfiguration=NETWORK,
    scale={"value": 100, "unit": "PERCENT"},
)["taskSet"]
ecs.update_service_primary_task_set(cluster="default", service="ext", primaryTaskSet=ts["taskSetArn"])
ecs.update_task_set(cluster="default", service="ext", taskSet=ts["taskSetArn"], scale={"value": 50, "unit": "PERCENT"})
ecs.describe_task_sets(cluster="default", service="ext", include=["TAGS"])
tagged_set = ecs.create_task_set(
    cluster="default",
    service="ext",
    taskDefinition=web1,
    launchType="FARGATE",
    platformVersion="1.4.0",
    networkConfiguration=NETWORK,
    scale={"value": 0, "unit": "PERCENT"},
    tags=[{"key": "team", "value": "shapes"}],
)["taskSet"]
assert tagged_set["platformVersion"] == "1.4.0" and tagged_set["tags"], tagged_set
ecs.tag_resource(resourceArn=tagged_set["taskSetArn"], tags=[{"key": "env", "value": "ci"}])
ecs.list_tags_for_resource(resourceArn=tagged_set["taskSetArn"])
expect_error("PlatformUnknownException", ecs.create_task_set, cluster="default", service="ext", taskDefinition=web1, launchType="FARGATE", platformVersion="0.9.9", networkConfiguration=NETWORK)

# CodeDeploy blue/green.
ecs.create_service(
    cluster="default",
    serviceName="bg",
    taskDefinition=web1,
    desiredCount=2,
    launchType="FARGATE",
    networkConfiguration=NETWORK,
    deploymentController={"type": "CODE_DEPLOY"},
    loadBalancers=[{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1", "containerName": "app", "containerPort": 80}],
)
appspec = f"""version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "{web2}"
        LoadBalancerInfo:
          ContainerName: app
          ContainerPort: 80
"""
deploy.create_application(applicationName="extra", computePlatform="ECS")
deploy.create_deployment_group(
    applicationName="extra",
    deploymentGroupName="extra-group",
    serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
    deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
    deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    ecsServices=[{"clusterName": "default", "serviceName": "ext"}],
)
deploy.list_applications()
deploy.get_application(applicationName="bg-app")
deploy.batch_get_applications(applicationNames=["bg-app", "extra"])
deploy.list_deployment_groups(applicationName="bg-app")
deploy.get_deployment_group(applicationName="bg-app", deploymentGroupName="bg-group")
deploy.batch_get_deployment_groups(applicationName="bg-app", deploymentGroupNames=["bg-group"])
deploy.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
deployment = deploy.create_deployment(
    applicationName="bg-app",
    deploymentGroupName="bg-group",
    revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}},
)["deploymentId"]
until("the green task set", lambda: len(ecs.describe_services(cluster="default", services=["bg"])["services"][0].get("taskSets", [])) == 2)
ecs.describe_task_sets(cluster="default", service="bg")
deploy.get_deployment(deploymentId=deployment)
targets = deploy.list_deployment_targets(deploymentId=deployment)["targetIds"]
if targets:
    deploy.get_deployment_target(deploymentId=deployment, targetId=targets[0])
    deploy.batch_get_deployment_targets(deploymentId=deployment, targetIds=targets)
until(
    "the CodeDeploy deployment to end",
    lambda: deploy.get_deployment(deploymentId=deployment)["deploymentInfo"]["status"] in ("Succeeded", "Failed", "Stopped"),
)
deploy.batch_get_deployments(deploymentIds=[deployment])
deploy.list_deployments(applicationName="bg-app", deploymentGroupName="bg-group")
deploy.list_deployments()
bg_app = "arn:aws:codedeploy:us-east-1:123456789012:application:bg-app"
deploy.tag_resource(ResourceArn=bg_app, Tags=[{"Key": "team", "Value": "web"}])
deploy.list_tags_for_resource(ResourceArn=bg_app)
deploy.untag_resource(ResourceArn=bg_app, TagKeys=["team"])
expect_error("DeploymentGroupNameRequiredException", deploy.list_deployments, applicationName="bg-app")
ecs.describe_services(cluster="default", services=["bg"])
second = deploy.create_deployment(
    applicationName="bg-app",
    deploymentGroupName="bg-group",
    revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec.replace(web2, web1)}},
)["deploymentId"]
deploy.stop_deployment(deploymentId=second, autoRollbackEnabled=True)
deploy.get_deployment(deploymentId=second)
expect_error("DeploymentDoesNotExistException", deploy.get_deployment, deploymentId="d-NOPE00000")
expect_error("ApplicationDoesNotExistException", deploy.get_application, applicationName="nope")

# Application Auto Scaling.
resource = "service/default/web"
scaling.register_scalable_target(
    ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=4
)
scaling.describe_scalable_targets(ServiceNamespace="ecs")
scaling.put_scaling_policy(
    PolicyName="cpu",
    ServiceNamespace="ecs",
    ResourceId=resource,
    ScalableDimension="ecs:service:DesiredCount",
    PolicyType="TargetTrackingScaling",
    TargetTrackingScalingPolicyConfiguration={
        "TargetValue": 50.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    },
)
scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)
scaling.delete_scaling_policy(PolicyName="cpu", ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount")
expect_error(
    "ValidationException",
    scaling.register_scalable_target,
    ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount", MinCapacity=5, MaxCapacity=1,
)
scaling.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount")

# SSM and Secrets Manager.
ssm.get_parameter(Name="/app/host")
ssm.get_parameter(Name="/app/password", WithDecryption=True)
ssm.get_parameters(Names=["/app/host", "/app/missing"])
expect_error("ParameterNotFound", ssm.get_parameter, Name="/missing")
secrets.get_secret_value(SecretId="app/db")
secrets.describe_secret(SecretId="app/db")
expect_error("ResourceNotFoundException", secrets.get_secret_value, SecretId="missing")

# ELBv2 (awsQuery, XML): the world's target group, its attributes and its targets.
elb = client("elbv2")
tg = elb.describe_target_groups(Names=["shapes-tg"])["TargetGroups"][0]["TargetGroupArn"]
elb.describe_target_groups()
elb.describe_target_group_attributes(TargetGroupArn=tg)
ecs.create_service(
    cluster="default", serviceName="lb", taskDefinition=fargate_td("lb", "nginx:1"), desiredCount=1,
    launchType="FARGATE", networkConfiguration=NETWORK,
    loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}],
)
until("a healthy target", lambda: [
    d for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    if d["TargetHealth"]["State"] == "healthy"
])
elb.describe_target_health(TargetGroupArn=tg, Targets=[{"Id": "10.9.9.9", "Port": 80}])
expect_error("TargetGroupNotFound", elb.describe_target_groups, Names=["missing"])
expect_error("TargetGroupNotFound", elb.describe_target_health, TargetGroupArn=tg.replace("shapes-tg", "missing"))

# Clean-up paths.
ecs.delete_task_set(cluster="default", service="ext", taskSet=ts["taskSetArn"], force=True)
ecs.update_service(cluster="default", service="web", desiredCount=0)
ecs.delete_service(cluster="default", service="web", force=True)
ecs.deregister_task_definition(taskDefinition=ec2)
ecs.delete_task_definitions(taskDefinitions=[ec2])
ecs.delete_cluster(cluster="shapes")

print(
    f"shapes: {checked['answers']} answers and {checked['errors']} error answers of "
    f"{len(operations)} operations checked against botocore's models"
)
if findings:
    print(f"{len(findings)} finding(s):", file=sys.stderr)
    for line in sorted(set(findings)):
        print("  " + line, file=sys.stderr)
    sys.exit(1)
