#!/usr/bin/env bash
# Every answer of `ristretto local serve` checked against botocore's service models (PyPI
# `botocore`, installed here, never vendored): a broad boto3 scenario over ECS, CodeDeploy,
# Application Auto Scaling, SSM and Secrets Manager, validated by shapes.py after each call.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/steps/serve.bash

venv="${TMPDIR:-/tmp}/ristretto-ci-shapes-venv"
if ! "$venv/bin/python" -c "import boto3" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check boto3
fi
"$venv/bin/python" -c 'import botocore; print("botocore", botocore.__version__)'

work="$(mktemp -d)"
cat > "$work/world.yaml" <<'YAML'
clusters:
  - default
  - {name: small, containerInstances: [{cpu: 1024, memory: 256}]}
  - {name: empty, containerInstances: []}
targetGroups:
  - {name: shapes-tg, targetType: ip, healthCheck: {intervalSeconds: 5, healthyThresholdCount: 2}, deregistrationDelaySeconds: 5}
parameters:
  - {name: /app/host, value: db.internal}
  - {name: /app/password, value: s3cret, type: SecureString}
failures:
  - {image: "*:broken*", exitCode: 1, stoppedReason: "Essential container in task exited"}
secrets:
  - {name: app/db, value: '{"password":"s3cret"}', description: database credentials}
codeDeploy:
  applications: [{applicationName: bg-app, computePlatform: ECS}]
  deploymentGroups:
    - applicationName: bg-app
      deploymentGroupName: bg-group
      serviceRoleArn: arn:aws:iam::123456789012:role/codedeploy
      deploymentConfigName: CodeDeployDefault.ECSAllAtOnce
      deploymentStyle: {deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}
      blueGreenDeploymentConfiguration:
        terminateBlueInstancesOnDeploymentSuccess: {action: TERMINATE, terminationWaitTimeInMinutes: 0}
        deploymentReadyOption: {actionOnTimeout: CONTINUE_DEPLOYMENT}
      autoRollbackConfiguration: {enabled: true, events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST]}
      ecsServices: [{clusterName: default, serviceName: bg}]
      loadBalancerInfo:
        targetGroupPairInfoList:
          - targetGroups: [{name: blue}, {name: green}]
            prodTrafficRoute: {listenerArns: [arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shapes/1/2]}
YAML
serve_local

AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="http://127.0.0.1:$port" \
  "$venv/bin/python" .ci/steps/shapes.py
