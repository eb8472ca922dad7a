"""Where things live on a node host: shared by the bootstrap and the CloudWatch agent config."""

AGENT_LOG = "/var/log/chainlink-agent.log"
CLOUD_INIT_LOG = "/var/log/cloud-init-output.log"
# The host's own logs, shipped to the bootstrap log group; the node logs through Docker.
HOST_LOG_FILES = (CLOUD_INIT_LOG, AGENT_LOG)
CLOUDWATCH_AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
CLOUDWATCH_AGENT_SCRAPE_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml"
