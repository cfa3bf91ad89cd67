"""An EC2 Auto Scaling group for the drain tests: moto's server process for the group, an IMDSv2 stand-in for
the instance's metadata (moto has no lifecycle state there), and the hook and IAM policies read from
deploy/aws/README.md, so the tests create what the doc tells operators to create."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

REGION = "eu-west-1"
DOC = Path(__file__).parents[1] / "deploy" / "aws" / "README.md"


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


class _CloudFormation(yaml.SafeLoader):
    """YAML with CloudFormation's short functions (``!Ref``, ``!GetAtt``), read as nothing."""


_CloudFormation.add_multi_constructor("!", lambda *_: None)

# the hook as the doc's CloudFormation creates it, and the IAM policies it gives the scaler and the instances
DOC_HOOK: dict[str, Any] = yaml.load(doc_blocks("yaml")[0], Loader=_CloudFormation)["TrainerGroup"]["Properties"][
    "LifecycleHookSpecificationList"][0]
HOOK = DOC_HOOK["LifecycleHookName"]


def allowed(policy: int) -> set[str]:
    """The Auto Scaling actions the doc's ``policy``-th IAM policy allows (0: the scaler, 1: the instances)."""
    statements = json.loads(doc_blocks("json")[policy])["Statement"]
    actions = [a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])]
    return {a.removeprefix("autoscaling:") for a in actions}


TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def client(service: str, url: str) -> Any:
    import boto3
    from botocore.config import Config

    # one attempt: moto's 500 for the actions it lacks is not retried, so each request is recorded once
    return boto3.client(service, region_name=REGION, endpoint_url=url, config=Config(retries={"total_max_attempts": 1}),
                        **CREDS)


def make_group(url: str, *, hook: bool = True, size: int = 2) -> tuple[str, list[str]]:
    """A new group of ``size`` instances; with the drain hook as deploy/aws/README.md creates it."""
    ec2, asg = client("ec2", url), client("autoscaling", url)
    name = f"zygarde-trainers-{uuid.uuid4().hex[:8]}"
    image = ec2.describe_images()["Images"][0]["ImageId"]
    asg.create_launch_configuration(LaunchConfigurationName=name, ImageId=image, InstanceType="t3.micro")
    asg.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName=name, MinSize=0, MaxSize=5,
                                  DesiredCapacity=size, AvailabilityZones=[f"{REGION}a"])
    if hook:
        asg.put_lifecycle_hook(AutoScalingGroupName=name, **DOC_HOOK)
    instances = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"]
    return name, [i["InstanceId"] for i in instances]


class MetadataServer:
    """An IMDSv2 stand-in on the loopback: a token from ``PUT /latest/api/token``, then the instance's id, its
    region and its ``autoscaling/target-lifecycle-state`` (``InService`` until ``terminate()``), each read
    refused with 401 without the token, as EC2 does with IMDSv1 switched off."""

    TOKEN = "imds-session-token"

    def __init__(self, instance_id: str, region: str, state: str = "InService") -> None:
        self.values = {"instance-id": instance_id, "placement/region": region,
                       "autoscaling/target-lifecycle-state": state}
        self.state_reads = 0
        self.refused_without_token = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _answer(self, code: int, body: str = "") -> None:
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def do_PUT(self) -> None:  # noqa: N802 - the http.server API
                ok = self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
                self._answer(200, outer.TOKEN) if ok else self._answer(400)

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                if self.headers.get("X-aws-ec2-metadata-token") != outer.TOKEN:
                    outer.refused_without_token += 1
                    return self._answer(401)
                key = self.path.removeprefix("/latest/meta-data/")
                if key == "autoscaling/target-lifecycle-state":
                    outer.state_reads += 1
                value = outer.values.get(key)
                self._answer(404) if value is None else self._answer(200, value)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def terminate(self) -> float:
        """What EC2 reports once the group has put the instance in Terminating:Wait; the wall time of it."""
        at = time.time()
        self.values["autoscaling/target-lifecycle-state"] = "Terminated"
        return at

    def __enter__(self) -> MetadataServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class Recorder:
    """The Auto Scaling requests a client sends: (wall time, action, parameters), as they go on the wire."""

    def __init__(self, client: Any) -> None:
        self.sent: list[tuple[float, str, dict[str, str]]] = []
        client.meta.events.register("before-send", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        params = {k: v[0] for k, v in parse_qs(body).items()}
        params.pop("Version", None)
        self.sent.append((time.time(), params.pop("Action", ""), params))

    def of(self, action: str) -> list[tuple[float, dict[str, str]]]:
        return [(at, params) for at, name, params in self.sent if name == action]

