#!/bin/bash
# First boot of a Chainlink node host (cloud-init runcmd). Installs Docker, the
# CloudWatch agent and the node agent, then starts the node and its timers. It never
# sees a secret: the agent reads them from Secrets Manager at every start of the node.
set -euo pipefail

readonly agent=/opt/chainlink-agent/chainlink_agent.py
readonly cloudwatch_dir=/opt/aws/amazon-cloudwatch-agent

dnf install --assumeyes --setopt=install_weak_deps=False \
  docker amazon-cloudwatch-agent python3-boto3 python3-pip

# The agent comes from this stack's bucket and runs only if it is the exact file
# the deployment hashed (the hash came with the user data).
aws s3 cp --only-show-errors "$(<"${agent}.url")" "${agent}"
sha256sum --check --strict "${agent}.sha256"
chmod 0755 "${agent}"
# Its TOML library, pinned by version and hash, beside it.
python3 -m pip install --disable-pip-version-check --no-cache-dir --require-hashes \
  --target "$(dirname "${agent}")/lib" --requirement "$(dirname "${agent}")/requirements.txt"

"${cloudwatch_dir}/bin/amazon-cloudwatch-agent-ctl" -a fetch-config -m ec2 -s \
  -c "file:${cloudwatch_dir}/etc/amazon-cloudwatch-agent.json"

systemctl daemon-reload
systemctl enable --now docker.service
systemctl enable --now chainlink-node.service chainlink-watchdog.timer \
  chainlink-secrets-watch.timer
