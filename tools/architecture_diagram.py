"""The architecture picture, drawn from the resources the program itself registers.

    venv/bin/python tools/architecture_diagram.py [--stack prod] [--check]   (make diagram)

Runs the program offline (as `ops preview` does), reduces its resources to a small model
(zones and subnets, NAT, load balancers, node hosts, Aurora, endpoints, secrets, keys,
alarms) written to docs/architecture.json, and renders that model with the `diagrams`
library (mingrammer, on Graphviz) to docs/architecture.png. The test suite compares the
checked-in model with the program's, so the picture cannot silently drift from the code.
`--check` only compares (exit 1 when the checked-in model is out of date).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "docs" / "architecture.json"
PICTURE_PATH = ROOT / "docs" / "architecture.png"

Resource = Mapping[str, Any]


def _of_type(resources: Iterable[Resource], short_type: str) -> list[Resource]:
    """Resources whose type token ends in `:ShortType` (`aws:ec2/subnet:Subnet` -> Subnet)."""
    return sorted((r for r in resources if r["type"].rsplit(":", 1)[-1] == short_type
                   and not r["type"].startswith("chainlink:")), key=lambda r: r["name"])


def _zones(resources: list[Resource]) -> list[dict[str, Any]]:
    subnets = _of_type(resources, "Subnet")
    nat_subnet_ids = {r["inputs"].get("subnetId") for r in _of_type(resources, "NatGateway")}
    database_zones = {r["inputs"].get("availabilityZone") for r in _of_type(resources, "ClusterInstance")}
    zones = sorted({subnet["inputs"]["availabilityZone"] for subnet in subnets})

    def subnet_of(zone: str, tier: str) -> Resource | None:
        return next((s for s in subnets if s["inputs"]["availabilityZone"] == zone
                     and s["inputs"].get("tags", {}).get("chainlink:tier") == tier), None)

    model = []
    for zone in zones:
        public, private = subnet_of(zone, "public"), subnet_of(zone, "private")
        model.append({
            "zone": zone,
            "publicSubnet": public["inputs"]["cidrBlock"] if public else None,
            "privateSubnet": private["inputs"]["cidrBlock"] if private else None,
            "natGateway": bool(public and public["id"] in nat_subnet_ids),
            "databaseInstance": zone in database_zones,
        })
    return model


def _endpoints(resources: list[Resource], kind: str) -> list[str]:
    return sorted(r["inputs"]["serviceName"].rsplit(".", 1)[-1]
                  for r in _of_type(resources, "VpcEndpoint")
                  if r["inputs"].get("vpcEndpointType") == kind)


def build_model(stack: str, resources: list[Resource]) -> dict[str, Any]:
    """What the picture shows, from the registered resources only."""
    vpc = _of_type(resources, "Vpc")[0]["inputs"]
    groups = _of_type(resources, "Group")
    templates = _of_type(resources, "LaunchTemplate")
    cluster = _of_type(resources, "Cluster")
    return {
        "stack": stack,
        "vpcCidr": vpc["cidrBlock"],
        "zones": _zones(resources),
        "loadBalancers": [{"name": r["name"], "type": r["inputs"].get("loadBalancerType"),
                           "internal": bool(r["inputs"].get("internal"))}
                          for r in _of_type(resources, "LoadBalancer")],
        "listeners": sorted(f"{r['inputs'].get('protocol')}:{r['inputs'].get('port')}"
                            for r in _of_type(resources, "Listener")),
        "nodeHosts": [{"group": group["name"], "hosts": group["inputs"].get("desiredCapacity"),
                       "zones": len(group["inputs"].get("vpcZoneIdentifiers", [])),
                       "instanceType": templates[0]["inputs"].get("instanceType") if templates else None}
                      for group in groups],
        "database": {"engine": cluster[0]["inputs"].get("engine"),
                     "instances": len(_of_type(resources, "ClusterInstance"))} if cluster else None,
        "bastion": any("bastion" in r["name"] for r in _of_type(resources, "Instance")),
        "interfaceEndpoints": _endpoints(resources, "Interface"),
        "gatewayEndpoints": _endpoints(resources, "Gateway"),
        "secrets": [r["name"] for r in _of_type(resources, "Secret")],
        "kmsKeys": len(_of_type(resources, "Key")),
        "buckets": len(_of_type(resources, "Bucket")),
        "logGroups": len(_of_type(resources, "LogGroup")),
        "alarms": [r["name"] for r in _of_type(resources, "MetricAlarm")],
        "topics": len(_of_type(resources, "Topic")),
        "devopsGuru": bool(_of_type(resources, "ResourceCollection")),
        "volumeBackups": bool(_of_type(resources, "LifecyclePolicy")),
    }


def model_of_stack(stack: str) -> dict[str, Any]:
    """Run the program offline for `stack`, as `ops preview` does, and reduce it."""
    sys.path.insert(0, str(ROOT))
    from ops.commands.preview import resources_document
    from ops.lib.offline import run_program
    from ops.lib.stackfile import read_stack_file
    return build_model(stack, resources_document(run_program(read_stack_file(stack))))


def model_text(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, sort_keys=True) + "\n"


def render(model: dict[str, Any], picture: Path) -> None:
    """The picture, with the `diagrams` library (make diagram installs it)."""
    from diagrams import Cluster, Diagram, Edge
    from diagrams.aws.compute import EC2, EC2AutoScaling
    from diagrams.aws.database import Aurora
    from diagrams.aws.management import AmazonDevopsGuru, Cloudwatch, CloudwatchAlarm
    from diagrams.aws.network import ALB, NLB, Endpoint, InternetGateway, NATGateway
    from diagrams.aws.security import KMS, SecretsManager
    from diagrams.aws.storage import S3
    from diagrams.aws.integration import SNS
    from diagrams.onprem.network import Internet

    attributes = {"fontsize": "13", "pad": "0.4", "splines": "spline"}
    with Diagram(f"chainlink-node-aws ({model['stack']})", filename=str(picture.with_suffix("")),
                 outformat="png", show=False, direction="LR", graph_attr=attributes):
        users = Internet("operators and\nRPC providers")
        with Cluster(f"VPC {model['vpcCidr']}"):
            gateway = InternetGateway("internet gateway")
            balancers = [(NLB if lb["type"] == "network" else ALB)(
                f"{lb['name']}\n{', '.join(model['listeners'])}") for lb in model["loadBalancers"]]
            nats, database_instances = [], []
            for zone in model["zones"]:
                with Cluster(f"{zone['zone']}"):
                    with Cluster(f"public {zone['publicSubnet']}"):
                        if zone["natGateway"]:
                            nats.append(NATGateway("NAT gateway"))
                    with Cluster(f"private {zone['privateSubnet']}"):
                        if zone["databaseInstance"]:
                            database_instances.append(Aurora("Aurora instance"))
            hosts = []
            for group in model["nodeHosts"]:
                with Cluster(f"{group['group']}: {group['hosts']} hosts over {group['zones']} zones"):
                    scaling = EC2AutoScaling("Auto Scaling")
                    hosts = [EC2(f"node host\n{group['instanceType']}\n{role}")
                             for role in ("primary (lease)", "standby")[:group["hosts"]]]
                    scaling >> Edge(style="dotted") >> hosts
            with Cluster("VPC endpoints"):
                endpoints = Endpoint("\n".join(model["interfaceEndpoints"] + model["gatewayEndpoints"]))
        secrets = SecretsManager(f"{len(model['secrets'])} secrets")
        keys = KMS(f"{model['kmsKeys']} KMS keys")
        bucket = S3(f"{model['buckets']} bucket (host files)")
        with Cluster("observability"):
            logs = Cloudwatch(f"{model['logGroups']} log groups")
            alarms = CloudwatchAlarm(f"{len(model['alarms'])} alarms")
            topics = SNS(f"{model['topics']} SNS topics")
            alarms >> topics
            if model["devopsGuru"]:
                AmazonDevopsGuru("DevOps Guru") >> topics
        users >> gateway >> balancers
        for balancer in balancers:
            balancer >> hosts
        for host in hosts:
            host >> Edge(label="5432") >> database_instances
            host >> Edge(style="dashed") >> endpoints
            host >> Edge(color="gray") >> nats
        endpoints >> [secrets, logs, bucket]
        secrets >> keys
        hosts and hosts[0] >> Edge(style="dotted") >> alarms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="prod", help="the stack to draw (default prod)")
    parser.add_argument("--check", action="store_true",
                        help="only compare the checked-in model with the program's")
    args = parser.parse_args()
    text = model_text(model_of_stack(args.stack))
    if args.check:
        current = MODEL_PATH.read_text(encoding="utf-8") if MODEL_PATH.exists() else ""
        if current != text:
            print(f"error: {MODEL_PATH.relative_to(ROOT)} is out of date; run make diagram",
                  file=sys.stderr)
            return 1
        return 0
    MODEL_PATH.parent.mkdir(exist_ok=True)
    render(json.loads(text), PICTURE_PATH)
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} and {PICTURE_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
