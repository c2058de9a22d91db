#!/usr/bin/env bash
# An independent client against `ristretto local serve`: the AWS CLI (from PyPI) drives a rolling
# deployment and waits for it with its own waiter, so the simulator's wire format is checked by
# code we did not write.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/steps/serve.bash

venv="${TMPDIR:-/tmp}/ristretto-ci-venv"
if [ ! -x "$venv/bin/aws" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check awscli
fi
aws="$venv/bin/aws"
"$aws" --version

work="$(mktemp -d)"
cat > "$work/world.yaml" <<'YAML'
clusters: [default, {name: cli-ec2, containerInstances: [{cpu: 2048, memory: 4096, count: 2}]}]
targetGroups:
  - name: cli-tg
    arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/cli-tg/0123456789abcdef
    targetType: ip
    healthCheck: {intervalSeconds: 5, healthyThresholdCount: 2}
    deregistrationDelaySeconds: 5
codeDeploy:
  applications: [{applicationName: cli-app, computePlatform: ECS}]
  deploymentGroups:
    - applicationName: cli-app
      deploymentGroupName: cli-group
      serviceRoleArn: arn:aws:iam::123456789012:role/codedeploy
      deploymentConfigName: CodeDeployDefault.ECSAllAtOnce
      deploymentStyle: {deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}
      blueGreenDeploymentConfiguration:
        terminateBlueInstancesOnDeploymentSuccess: {action: TERMINATE, terminationWaitTimeInMinutes: 0}
        deploymentReadyOption: {actionOnTimeout: CONTINUE_DEPLOYMENT}
      ecsServices: [{clusterName: default, serviceName: cli-bg}]
      loadBalancerInfo:
        targetGroupPairInfoList:
          - targetGroups: [{name: cli-blue}, {name: cli-green}]
            prodTrafficRoute: {listenerArns: [arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/cli/1/2]}
YAML
serve_local

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
ecs() { "$aws" --endpoint-url "http://127.0.0.1:$port" ecs "$@"; }

td() {
  cat <<JSON
{"family": "cli-web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
 "containerDefinitions": [{"name": "app", "image": "nginx:$1", "essential": true,
                          "portMappings": [{"containerPort": 80}]}]}
JSON
}
rev1=$(ecs register-task-definition --cli-input-json "$(td 1.27)" --query 'taskDefinition.taskDefinitionArn' --output text)
rev2=$(ecs register-task-definition --cli-input-json "$(td 1.28)" --query 'taskDefinition.taskDefinitionArn' --output text)
ecs create-service --service-name cli-web --task-definition "$rev1" --desired-count 2 --launch-type FARGATE \
  --network-configuration 'awsvpcConfiguration={subnets=[subnet-1],securityGroups=[sg-1]}' > /dev/null
ecs wait services-stable --services cli-web
ecs update-service --service cli-web --task-definition "$rev2" > /dev/null
ecs wait services-stable --services cli-web
running=$(ecs describe-services --services cli-web --query 'services[0].[taskDefinition,runningCount,length(deployments)]' --output text)
echo "describe-services: $running"
case "$running" in
  "$rev2"*"2"*"1") echo "aws cli: rolling deployment completed" ;;
  *) echo "unexpected service state: $running" >&2; exit 1 ;;
esac
grep -q '"operation":"UpdateService","mutating":true' "$work/requests.jsonl"

# CodeDeploy blue/green: a CODE_DEPLOY service, a deployment with AppSpec content, the CLI's waiter.
ecs create-service --service-name cli-bg --task-definition "$rev1" --desired-count 2 \
  --network-configuration 'awsvpcConfiguration={subnets=[subnet-1],securityGroups=[sg-1]}' \
  --deployment-controller type=CODE_DEPLOY > /dev/null
appspec="version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: \"$rev2\"
        LoadBalancerInfo:
          ContainerName: app
          ContainerPort: 80"
revision=$(python3 -c 'import json,sys; print(json.dumps({"revisionType": "AppSpecContent", "appSpecContent": {"content": sys.argv[1]}}))' "$appspec")
deploy() { "$aws" --endpoint-url "http://127.0.0.1:$port" deploy "$@"; }
deployment=$(deploy create-deployment --application-name cli-app --deployment-group-name cli-group \
  --revision "$revision" --query deploymentId --output text)
echo "codedeploy deployment: $deployment"
deploy wait deployment-successful --deployment-id "$deployment"
status=$(deploy get-deployment --deployment-id "$deployment" --query deploymentInfo.status --output text)
primary=$(ecs describe-services --services cli-bg --query 'services[0].taskSets[?status==`PRIMARY`].taskDefinition | [0]' --output text)
echo "codedeploy: $status, primary task set runs $primary"
[ "$status" = "Succeeded" ] && [ "$primary" = "$rev2" ] || { echo "unexpected CodeDeploy outcome" >&2; exit 1; }
# ELBv2 (awsQuery, XML): a service behind the world's target group; the CLI's own waiter reads
# DescribeTargetHealth until every target is healthy.
tg=arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/cli-tg/0123456789abcdef
elbv2() { "$aws" --endpoint-url "http://127.0.0.1:$port" elbv2 "$@"; }
[ "$(elbv2 describe-target-groups --names cli-tg --query 'TargetGroups[0].TargetGroupArn' --output text)" = "$tg" ] \
  || { echo "describe-target-groups did not find cli-tg" >&2; exit 1; }
ecs create-service --service-name cli-lb --task-definition "$rev1" --desired-count 1 --launch-type FARGATE \
  --network-configuration 'awsvpcConfiguration={subnets=[subnet-1],securityGroups=[sg-1]}' \
  --load-balancers "targetGroupArn=$tg,containerName=app,containerPort=80" > /dev/null
ecs wait services-stable --services cli-lb
elbv2 wait target-in-service --target-group-arn "$tg"
health=$(elbv2 describe-target-health --target-group-arn "$tg" --query 'TargetHealthDescriptions[].TargetHealth.State' --output text)
echo "describe-target-health: $health"
[ "$health" = "healthy" ] || { echo "unexpected target health: $health" >&2; exit 1; }
# Container instances: the world's two instances of cli-ec2, listed with a cluster query
# filter and described with their registered and remaining resources.
instances=$(ecs list-container-instances --cluster cli-ec2 --filter 'attribute:ecs.os-type == linux' \
  --query 'length(containerInstanceArns)' --output text)
cpu=$(ecs describe-container-instances --cluster cli-ec2 \
  --container-instances $(ecs list-container-instances --cluster cli-ec2 --query 'containerInstanceArns' --output text) \
  --query 'containerInstances[].remainingResources[?name==`CPU`].integerValue[]' --output text)
echo "container instances: $instances, remaining CPU: $cpu"
[ "$instances" = "2" ] && [ "$cpu" = "2048	2048" ] || { echo "unexpected container instances" >&2; exit 1; }
echo "request log: $(wc -l < "$work/requests.jsonl") requests"
