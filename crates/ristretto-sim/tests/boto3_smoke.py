"""Wire-format check of the simulator with an independent client (boto3).

Not run by `cargo test`. Start a simulator, then run this script:

    cargo run -p ristretto-sim --example serve -- 127.0.0.1:4566 "" "" 100 &
    SIM_ENDPOINT=http://127.0.0.1:4566 python3 crates/ristretto-sim/tests/boto3_smoke.py
"""

import os
import time

import boto3
import botocore.config
import botocore.exceptions

ENDPOINT = os.environ.get("SIM_ENDPOINT", "http://127.0.0.1:4566")
CONFIG = botocore.config.Config(retries={"max_attempts": 1})


def client(name):
    return boto3.client(
        name,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=CONFIG,
    )


def main():
    ecs = client("ecs")
    ecs.create_cluster(clusterName="boto")
    td = ecs.register_task_definition(
        family="boto-web",
        containerDefinitions=[{"name": "app", "image": "nginx:1", "essential": True}],
        cpu="256",
        memory="512",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
    )["taskDefinition"]
    assert td["revision"] >= 1, td
    assert isinstance(td["registeredAt"].timestamp(), float)
    ecs.create_service(
        cluster="boto",
        serviceName="web",
        taskDefinition="boto-web",
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )
    deadline = time.time() + 30
    while True:
        svc = ecs.describe_services(cluster="boto", services=["web"])["services"][0]
        if svc["runningCount"] == 2 and svc["deployments"][0]["rolloutState"] == "COMPLETED":
            break
        assert time.time() < deadline, svc
        time.sleep(0.05)
    assert svc["events"][0]["message"] == "(service web) has reached a steady state.", svc["events"]
    try:
        ecs.describe_services(cluster="missing", services=["web"])
        raise AssertionError("expected ClusterNotFoundException")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ClusterNotFoundException", e.response
    aas = client("application-autoscaling")
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/boto/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=3,
    )
    targets = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert targets[0]["MaxCapacity"] == 3, targets
    print("boto3 smoke test passed")


if __name__ == "__main__":
    main()
