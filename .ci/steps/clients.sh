#!/usr/bin/env bash
# More independent clients against `ristretto local serve`: boto3's own ECS waiter
# (`services_stable`) and fabfuel's `ecs-deploy` (PyPI `ecs-deploy`), which registers a new
# revision and follows the rolling deployment with its own polling. Both reach the simulator
# through the SDK's standard `AWS_ENDPOINT_URL`.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/steps/serve.bash

venv="${TMPDIR:-/tmp}/ristretto-ci-clients-venv"
if [ ! -x "$venv/bin/ecs" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check boto3 ecs-deploy
fi

work="$(mktemp -d)"
printf 'clusters: [default]\n' > "$work/world.yaml"
serve_local

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="http://127.0.0.1:$port"

# boto3: register, create a Fargate service, wait with the SDK's waiter.
"$venv/bin/python" - <<'PY'
import boto3

ecs = boto3.client("ecs")
arn = ecs.register_task_definition(
    family="py-web",
    networkMode="awsvpc",
    requiresCompatibilities=["FARGATE"],
    cpu="256",
    memory="512",
    containerDefinitions=[{"name": "app", "image": "nginx:1.27", "essential": True}],
)["taskDefinition"]["taskDefinitionArn"]
ecs.create_service(
    cluster="default",
    serviceName="py-web",
    taskDefinition=arn,
    desiredCount=2,
    launchType="FARGATE",
    networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}},
)
ecs.get_waiter("services_stable").wait(
    cluster="default", services=["py-web"], WaiterConfig={"Delay": 1, "MaxAttempts": 120}
)
service = ecs.describe_services(cluster="default", services=["py-web"])["services"][0]
assert service["runningCount"] == 2, service
print("boto3: services_stable waiter saw", service["runningCount"], "running tasks")
PY

# ecs-deploy: a new image for container `app`, followed to the end by the tool itself.
"$venv/bin/ecs" deploy default py-web --image app nginx:1.28 --region us-east-1 \
  --timeout 120 --sleep-time 1 --no-deregister
"$venv/bin/python" - <<'PY'
import boto3

ecs = boto3.client("ecs")
service = ecs.describe_services(cluster="default", services=["py-web"])["services"][0]
td = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
image = td["containerDefinitions"][0]["image"]
assert image == "nginx:1.28", image
assert len(service["deployments"]) == 1 and service["runningCount"] == 2, service
print("ecs-deploy: service runs", td["family"] + ":" + str(td["revision"]), "with", image)
PY
echo "request log: $(wc -l < "$work/requests.jsonl") requests"
